from django.urls import path

from . import views

urlpatterns = [
    path("user/profile/", views.ProfileView.as_view(), name="user-profile"),
]
