from django.shortcuts import render
from django.urls import reverse

from leads.webchat.tokens import try_the_bot_pass


def chat_demo(request):
    """The widget on a page like Jorge's website; staff get a pass that makes their chats tests."""
    try_pass = ""
    if request.user.is_authenticated and request.user.is_staff:
        try_pass = try_the_bot_pass(user_id=request.user.pk)
    return render(
        request,
        "webchat/demo.html",
        {"endpoint": request.build_absolute_uri(reverse("webchat:chat")), "try_pass": try_pass},
    )
