"""The workbench's synonyms list for search (同义词表): administrators keep what a word also finds."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from quanban.accounts.roles import Perm
from quanban.core.errors import ApplicationError
from quanban.searchindex.models import Synonym
from quanban.searchindex.services import synonym_set
from quanban.web.decorators import staff_required


class SynonymForm(forms.Form):
    term = forms.CharField(label=_("搜索词"), max_length=32)
    synonyms = forms.CharField(
        label=_("同义词"),
        required=False,
        max_length=800,
        help_text=_("用空格、逗号或顿号分隔；留空即删除该词条。"),
    )

    def synonym_list(self) -> list[str]:
        return [part for part in re.split(r"[\s,，、;；]+", self.cleaned_data["synonyms"]) if part]


@staff_required(Perm.SEARCH_ADMIN)
def synonyms(request: HttpRequest) -> HttpResponse:
    form = SynonymForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = synonym_set(
                user=request.user,
                term=form.cleaned_data["term"],
                synonyms=form.synonym_list(),
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            if entry is None:
                messages.success(request, _("已删除该词条。"))
            else:
                messages.success(request, _("已保存，搜索将立即使用新的同义词。"))
            return redirect("web:search_synonyms")
    entries = Synonym.objects.select_related("updated_by").order_by("term")
    return render(request, "web/workbench/synonyms.html", {"form": form, "entries": entries})
