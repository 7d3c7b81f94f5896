from django.urls import path

from leads.webchat import apis, views

api_urlpatterns = [
    path("", apis.ChatApi.as_view(), name="chat"),
    path("<str:token>/messages", apis.ChatMessagesApi.as_view(), name="messages"),
]

page_urlpatterns = [
    path("demo/", views.chat_demo, name="demo"),
]
