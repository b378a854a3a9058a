"""Profile → Webhooks: the owner's endpoints (add, edit, turn on and off, delete, send a test
event) and each endpoint's delivery log with a redeliver button. Sending is the worker's
(accounts/webhooks.py); these pages only queue."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import webhooks
from accounts.models import WebhookDelivery, WebhookEndpoint
from accounts.shortcuts import get_owned_or_404
from accounts.webhook_forms import WebhookEndpointForm

DELIVERIES_PER_PAGE = 25


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        endpoint = form.save()
        messages.success(request, f"Events now go to {endpoint.url}. Copy the signing secret below.")
        return redirect("accounts:webhook_detail", endpoint.pk)
    context = {"endpoints": WebhookEndpoint.objects.filter(owner=request.user), "form": form}
    return render(request, "accounts/webhooks.html", context, status=400 if form.is_bound else 200)


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_owned_or_404(WebhookEndpoint, request.user, pk=pk)
    form = WebhookEndpointForm(request.POST or None, instance=endpoint, owner=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect("accounts:webhook_detail", endpoint.pk)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).defer("payload", "response_excerpt")
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    last_failure = (
        endpoint.deliveries.filter(state=WebhookDelivery.State.FAILED).exclude(error="").values_list("error", flat=True)
    ).first()
    context = {
        "endpoint": endpoint,
        "form": form,
        "page": page,
        "last_failure": last_failure if endpoint.disabled_at else None,
        "events": dict(WebhookEndpoint.Events.choices),
    }
    return render(request, "accounts/webhook_detail.html", context, status=400 if form.is_bound else 200)


@login_required
def webhook_delivery(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    """One delivery: what was sent and what the receiver answered last."""
    delivery = get_owned_or_404(WebhookDelivery, request.user, owner_field="endpoint__owner", pk=delivery_pk,
                                endpoint_id=pk)  # fmt: skip
    payload = json.dumps(delivery.payload, indent=2, ensure_ascii=False)
    context = {"delivery": delivery, "endpoint": delivery.endpoint, "payload": payload}
    return render(request, "accounts/webhook_delivery.html", context)


@login_required
@require_POST
def webhook_active(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_owned_or_404(WebhookEndpoint, request.user, pk=pk)
    if request.POST.get("active") == "1":
        webhooks.enable(endpoint)
        messages.success(request, f"Events go to {endpoint.url} again.")
    else:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
        messages.success(request, f"Turned off: no events go to {endpoint.url} until you turn it on.")
    return redirect("accounts:webhook_detail", endpoint.pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_owned_or_404(WebhookEndpoint, request.user, pk=pk)
    endpoint.delete()
    messages.success(request, f"Deleted the webhook to {endpoint.url} and its delivery log.")
    return redirect("accounts:webhooks")


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_owned_or_404(WebhookEndpoint, request.user, pk=pk)
    if not endpoint.active:
        messages.error(request, "Turn the webhook on first: nothing is sent to it while it is off.")
    else:
        webhooks.send_test(endpoint)
        messages.success(request, "A test event (type “ping”) is on its way; reload to see how it went.")
    return redirect("accounts:webhook_detail", endpoint.pk)


@login_required
@require_POST
def webhook_redeliver(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    delivery = get_owned_or_404(WebhookDelivery, request.user, owner_field="endpoint__owner", pk=delivery_pk,
                                endpoint_id=pk)  # fmt: skip
    if not delivery.endpoint.active:
        messages.error(request, "Turn the webhook on first: nothing is sent to it while it is off.")
    elif webhooks.redeliver(delivery):
        messages.success(request, f"The {delivery.event_type} event is being sent again, with the same webhook-id.")
    else:
        messages.error(request, "That event is being sent right now; try again in a minute if it fails.")
    return redirect("accounts:webhook_detail", pk)
