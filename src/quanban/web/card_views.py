"""The workbench's cards page (红黄牌): the cards a person answers for, explained there; a
supervisor sees every card and adds 督办 notes."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from quanban.accounts.models import User
from quanban.core.errors import ApplicationError
from quanban.supervision import selectors, services
from quanban.supervision.escalation import Responsibles
from quanban.web.case_common import show_error
from quanban.web.decorators import staff_required


class AcknowledgeForm(forms.Form):
    explanation = forms.CharField(
        label=gettext_lazy("情况说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("督办意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_on = forms.DateField(
        label=gettext_lazy("督办期限"), widget=forms.DateInput(attrs={"type": "date"})
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _page(request: HttpRequest, forms_for: dict[int, forms.Form] | None = None) -> HttpResponse:
    user = _user(request)
    cards = list(selectors.card_list_for_user(user=user))
    supervisor = selectors.is_supervisor(user)
    responsibles = Responsibles.load()  # once for the page, not once a card
    rows = []
    for card in cards:
        form: forms.Form | None = (forms_for or {}).get(card.pk)
        if form is None:
            if supervisor:
                form = NoteForm(prefix=f"n{card.pk}")
            elif card.acknowledged_at is None and services.card_is_for(user, card, responsibles):
                form = AcknowledgeForm(prefix=f"a{card.pk}")
        rows.append((card, form))
    return render(request, "web/workbench/cards.html", {"rows": rows, "supervisor": supervisor})


@staff_required()
def cards(request: HttpRequest) -> HttpResponse:
    return _page(request)


@staff_required()
@require_POST
def card_acknowledge(request: HttpRequest, card_id: int) -> HttpResponse:
    user = _user(request)
    card = selectors.card_get_for_user(user=user, card_id=card_id)
    if card is None:
        raise Http404(_("找不到该红黄牌。"))
    form = AcknowledgeForm(request.POST, prefix=f"a{card.pk}")
    if form.is_valid():
        try:
            services.card_acknowledge(
                user=user, card=card, explanation=form.cleaned_data["explanation"]
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("已提交情况说明。"))
            return redirect("web:workbench_cards")
    return _page(request, {card.pk: form})


@staff_required()
@require_POST
def card_note(request: HttpRequest, card_id: int) -> HttpResponse:
    user = _user(request)
    card = selectors.card_get_for_user(user=user, card_id=card_id)
    if card is None:
        raise Http404(_("找不到该红黄牌。"))
    form = NoteForm(request.POST, prefix=f"n{card.pk}")
    if form.is_valid():
        try:
            services.supervision_note_add(
                user=user,
                card=card,
                text=form.cleaned_data["text"],
                due_on=form.cleaned_data["due_on"],
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("已督办。"))
            return redirect("web:workbench_cards")
    return _page(request, {card.pk: form})
