from django.urls import path

from .apis import ComplianceCheckApi

app_name = "compliance"
urlpatterns = [
    path("check", ComplianceCheckApi.as_view(), name="check"),
]
