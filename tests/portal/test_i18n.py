"""The portal in Simplified Chinese and English (docs/supplier-portal.md): the catalogue covers
every portal string (found here in Python, without GNU gettext), the committed .mo matches the
.po, the contact's language is used and switchable, and Chinese pages show Chinese dates."""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import io
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils.translation.template import templatize

from licensing.models import LicenceApplication
from portal import services
from portal.catalogue import compile_mo, parse
from suppliers.services import supplier_contact_save

from .conftest import TODAY

ROOT = Path(__file__).resolve().parents[2] / "portal"
LOCALE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
CALLS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}
TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\s*,?)+)")


def _key(func: str, args: list[str]) -> tuple[str | None, str]:
    return (args[0], args[1]) if func.startswith(("p", "np")) else (None, args[0])


def python_strings() -> set[tuple[str | None, str]]:
    found = set()
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CALLS:
                args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if args:
                    found.add(_key(node.func.id.replace("_lazy", ""), args))
    return found


def template_strings() -> set[tuple[str | None, str]]:
    found = set()
    for path in (ROOT / "templates" / "portal").rglob("*"):
        if path.suffix not in (".html", ".txt") or path.name.startswith("_"):
            continue  # _partials belong to the importer's English pages
        if path.name == "link_issued.html":
            continue  # the importer's page
        for func, args in TEMPLATE_CALL.findall(templatize(path.read_text(encoding="utf-8"), origin=str(path))):
            found.add(_key(func, list(ast.literal_eval(f"({args.strip().rstrip(',')},)"))))
    return found


def catalogue() -> dict:
    return {e.key: e for e in parse((LOCALE / "django.po").read_text(encoding="utf-8"))}


def test_the_string_finder_finds_strings():
    assert (None, "Send the report") in template_strings()
    assert ("application status", "Approved") in python_strings()
    assert (None, "Welcome, %(name)s") in template_strings()


def test_every_portal_string_is_translated_into_chinese():
    po = catalogue()
    missing = sorted(m for _, m in (python_strings() | template_strings()) - {k for k, e in po.items() if e.translated})
    assert missing == [], "untranslated portal strings (run scripts/portal-messages and translate): " + repr(missing)


def test_the_compiled_catalogue_is_current():
    with open(LOCALE / "django.mo", "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for (ctx, msgid), entry in catalogue().items():
        if entry.msgid_plural is not None:
            got = mo.ngettext(msgid, entry.msgid_plural, 1)
        else:
            got = mo.pgettext(ctx, msgid) if ctx else mo.gettext(msgid)
        if got != entry.msgstr[0]:
            stale.append(msgid)
    assert stale == [], "django.mo is older than django.po: run scripts/portal-messages"


def test_the_python_compiler_writes_what_gettext_reads():
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    mo = gettext.GNUTranslations(io.BytesIO(compile_mo(po)))
    assert mo.info()["plural-forms"] == "nplurals=1; plural=0;"
    assert mo.pgettext("application status", "Approved") == "已批准"
    assert mo.gettext("Answer by") == "答复期限"
    assert mo.ngettext("These applications have had no update for %(days)s working day:",
                       "These applications have had no update for %(days)s working days:", 3).startswith("以下申请")
    assert (LOCALE / "django.mo").read_bytes() == compile_mo(po)  # committed as compile_portal_messages writes it


@pytest.mark.django_db
def test_chinese_pages_use_chinese_dates_and_the_language_switches(portal_scene, client):
    ours, _ = portal_scene
    page = client.get(ours.home).content.decode()
    assert "2026年5月31日" in page and "欢迎" in page  # the link's expiry, 90 days on
    client.post(f"/s/{ours.token}/language/", {"language": "en", "next": ours.home})
    page = client.get(ours.home).content.decode()
    assert "May 31, 2026" in page and "Welcome" in page and "欢迎" not in page
    ours.contact.refresh_from_db()
    assert ours.contact.language == "en"


@pytest.mark.django_db
def test_form_errors_come_in_the_contacts_language(portal_scene, client):
    ours, theirs = portal_scene
    response = client.post(ours.app_url(), {"to": "accepted", "on": "31/02/2026"})
    assert "请按 YYYY-MM-DD 格式填写日期。" in response.content.decode()
    response = client.post(theirs.app_url(), {"to": "accepted", "on": (TODAY + dt.timedelta(days=3)).isoformat()})
    assert "The date is after today." in response.content.decode()


@pytest.mark.django_db
def test_the_invitation_comes_in_both_languages(portal_scene, django_capture_on_commit_callbacks, procurement):
    ours, _ = portal_scene
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        contact, issued = services.contact_invite(supplier=ours.supplier, name="王芳", email="wang@example.cn",
                                                  language="zh-hans", actor=procurement)
    message = mail.outbox[-1]
    assert message.to == ["wang@example.cn"]
    assert message.subject.startswith("Baotou Magnet：报告商务部审批进展的链接 / Your link")
    assert message.body.index("王芳 您好") < message.body.index("Dear 王芳")
    assert issued.url in message.body and "2026年5月31日" in message.body and "May 31, 2026" in message.body


@pytest.mark.django_db
def test_a_contact_may_be_switched_to_english_by_procurement(portal_scene, client):
    ours, _ = portal_scene
    supplier_contact_save(contact=ours.contact, language="en")
    assert "Open applications" in client.get(ours.home).content.decode()
    assert LicenceApplication.objects.filter(supplier=ours.supplier).exists()
