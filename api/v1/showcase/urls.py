from django.urls import path

from . import views

urlpatterns = [
    path("users/<int:user_id>/card.png", views.RankCardView.as_view(), name="user-card"),
]
