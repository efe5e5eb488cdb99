from django.urls import path

from digigov.blocks.identity.oidc import views

app_name = "oidc"
urlpatterns = [
    path("authorize", views.authorize, name="authorize"),
    path("par", views.par, name="par"),
    path("token", views.token, name="token"),
    path("userinfo", views.userinfo, name="userinfo"),
    path("revoke", views.revoke, name="revoke"),
    path("logout", views.logout, name="logout"),
    path("jwks", views.jwks, name="jwks"),
]
