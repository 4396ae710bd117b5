from django.urls import path

from . import views

urlpatterns = [
    path("claims/", views.ClaimListView.as_view(), name="claims"),
    path("claims/<int:claim_id>/votes/", views.VoteView.as_view(), name="claim-votes"),
    path("claims/<int:claim_id>/proof/", views.ProofView.as_view(), name="claim-proof"),
    path("claims/<int:claim_id>/decision/", views.DecisionView.as_view(), name="claim-decision"),
    path("reviews/", views.ReviewListView.as_view(), name="reviews"),
]
