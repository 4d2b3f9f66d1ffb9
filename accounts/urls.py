from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("signup/", views.signup, name="accounts-signup"),
    path("signin/", views.signin, name="accounts-signin"),
    path("signout/", views.signout, name="accounts-signout"),
    path(
        "password/reset/",
        views.PasswordResetView.as_view(),
        name="accounts-password-reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_done.html"
        ),
        name="accounts-password-reset-done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="accounts-password-reset-confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="accounts-password-reset-complete",
    ),
    path(
        "password/change/",
        views.PasswordChangeView.as_view(),
        name="accounts-password-change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done.html"
        ),
        name="accounts-password-change-done",
    ),
    path("profile/", views.profile_edit, name="accounts-profile-edit"),
    path("data/", views.data, name="accounts-data"),
    path("delete/", views.delete, name="accounts-delete"),
    path("readers/<str:username>/", views.profile, name="accounts-profile"),
]
