"""Staff and citizen sign-in through the pages, with the security rules around it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY

from quanban.accounts.lockout import lockout_message
from quanban.accounts.models import User
from quanban.notify.models import OutboxMessage
from quanban.web.login_flow import PENDING
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Renewed#2027x"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    """Time that moves only when a test says so (TOTP codes, throttles and time-outs agree)."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def password_step(client, username, password=factories.PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def staff_sign_in(client, user):
    response = password_step(client, user.username)
    assert response.status_code == 302 and response["Location"] == "/login/verify/"
    return client.post("/login/verify/", {"code": factories.totp_code(user)})


def logged_in_user_id(client):
    return client.session.get(SESSION_KEY)


def page_text(response):
    return response.content.decode()


def field_errors(response):
    """The messages shown next to form fields, in page order."""
    return re.findall(r'<ul class="errorlist"[^>]*>\s*<li>(.*?)</li>', page_text(response), re.S)


# --- password rules ---------------------------------------------------------------------------


def register(client, password, phone="13900001111"):
    return client.post(
        "/portal/register/",
        {
            "phone": phone,
            "display_name": "李四",
            "new_password": password,
            "new_password2": password,
        },
    )


def test_register_refuses_a_short_password(client):
    response = register(client, "Ab1!x")
    assert response.status_code == 200
    assert field_errors(response) == ["密码长度过短，至少需要 8 个字符。"]
    assert not User.objects.filter(phone="13900001111").exists()


def test_register_names_every_rule_a_password_breaks(client):
    response = register(client, "ab12")
    assert field_errors(response) == [
        "密码长度过短，至少需要 8 个字符。 密码须包含大写字母、小写字母、数字、符号中的至少 3 类。"
    ]
    assert not User.objects.filter(phone="13900001111").exists()


def test_register_refuses_two_character_classes_with_the_exact_message(client):
    response = register(client, "quanbanxyz2026")
    assert response.status_code == 200
    assert field_errors(response) == ["密码须包含大写字母、小写字母、数字、符号中的至少 3 类。"]
    assert not User.objects.filter(phone="13900001111").exists()


def test_register_accepts_three_character_classes(client):
    response = register(client, "Quanbanxyz2026")
    assert response.status_code == 302 and response["Location"] == "/portal/login/"
    user = User.objects.get(phone="13900001111")
    assert (user.kind, user.username, user.display_name) == ("citizen", "13900001111", "李四")
    assert user.check_password("Quanbanxyz2026")


def test_register_refuses_a_phone_already_registered(client, citizen):
    response = register(client, "Quanbanxyz2026", phone=citizen.phone)
    assert "该手机号码已注册。" in page_text(response)
    assert User.objects.filter(phone=citizen.phone).count() == 1


# --- staff: second factor ---------------------------------------------------------------------


def test_password_alone_does_not_reach_the_workbench(client, clerk, frozen):
    response = password_step(client, "clerk")
    assert response.status_code == 302 and response["Location"] == "/login/verify/"
    assert logged_in_user_id(client) is None
    response = client.get("/workbench/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/workbench/"


def test_a_wrong_totp_code_is_refused(client, clerk, frozen):
    password_step(client, "clerk")
    right = factories.totp_code(clerk)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    response = client.post("/login/verify/", {"code": wrong})
    assert response.status_code == 200
    assert "动态口令不正确。" in page_text(response)
    assert logged_in_user_id(client) is None
    assert client.get("/workbench/").status_code == 302


def test_the_right_totp_code_signs_in_and_opens_the_workbench(client, clerk, frozen):
    response = staff_sign_in(client, clerk)
    assert response.status_code == 302 and response["Location"] == "/workbench/"
    assert logged_in_user_id(client) == str(clerk.pk)
    response = client.get("/workbench/")
    assert response.status_code == 200
    assert "窗口人员" in page_text(response)


def test_totp_throttle_makes_the_next_try_wait(client, clerk, frozen):
    password_step(client, "clerk")
    client.post("/login/verify/", {"code": "000000"})
    # django-otp's throttle: straight after a failure even the right code waits.
    response = client.post("/login/verify/", {"code": factories.totp_code(clerk)})
    assert "尝试过于频繁，请稍候几秒再输入。" in page_text(response)
    assert logged_in_user_id(client) is None
    frozen.shift(2)
    response = client.post("/login/verify/", {"code": factories.totp_code(clerk)})
    assert response.status_code == 302 and logged_in_user_id(client) == str(clerk.pk)


def test_staff_without_a_totp_device_are_sent_to_the_security_administrator(client, city):
    factories.make_staff(city, username="nodevice", with_totp=False)
    response = password_step(client, "nodevice")
    assert response.status_code == 200
    assert "请联系安全管理员绑定" in page_text(response)
    assert PENDING not in client.session
    assert client.get("/login/verify/")["Location"] == "/login/"


def test_a_citizen_cannot_use_the_staff_login(client, citizen):
    response = password_step(client, citizen.username)
    assert "此入口仅供工作人员登录" in page_text(response)
    assert PENDING not in client.session and logged_in_user_id(client) is None


# --- lockout ----------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, clerk, frozen):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = password_step(client, "clerk", "Wrong#Pass1")
        assert "用户名或密码不正确。" in page_text(response)
    response = password_step(client, "clerk", "Wrong#Pass1")
    assert response.status_code == 429
    response = password_step(client, "clerk")
    assert response.status_code == 429
    assert lockout_message() in page_text(response)
    assert "登录失败次数过多，账号已锁定 30 分钟。" in page_text(response)
    assert PENDING not in client.session and logged_in_user_id(client) is None


def test_the_lock_lifts_after_the_cool_off(client, clerk, frozen):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "clerk", "Wrong#Pass1")
    frozen.shift(dt.timedelta(minutes=31))
    assert staff_sign_in(client, clerk)["Location"] == "/workbench/"


def test_wrong_totp_codes_count_towards_the_lockout(client, clerk, frozen):
    password_step(client, "clerk")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/login/verify/", {"code": "000000"})
        assert "动态口令不正确。" in page_text(response)
        frozen.shift(60)  # past django-otp's growing throttle
    response = client.post("/login/verify/", {"code": "000000"})
    assert response.status_code == 429
    assert PENDING not in client.session
    frozen.shift(60)
    response = password_step(client, "clerk")
    assert response.status_code == 429
    assert logged_in_user_id(client) is None


# --- password expiry --------------------------------------------------------------------------


def test_an_expired_password_must_be_changed_before_anything_else(client, city):
    with time_machine.travel(START - dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)):
        old = factories.make_staff(city, username="oldtimer")
    with time_machine.travel(START, tick=False):
        response = staff_sign_in(client, old)
        assert response.status_code == 302 and response["Location"] == "/account/password/"
        assert client.get("/workbench/")["Location"] == "/account/password/"
        response = client.get("/account/password/")
        assert "您的密码已超过有效期" in page_text(response)
        response = client.post(
            "/account/password/",
            {
                "old_password": factories.PASSWORD,
                "new_password": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        assert response.status_code == 302 and response["Location"] == "/workbench/"
        assert client.get("/workbench/").status_code == 200
    old.refresh_from_db()
    assert old.check_password(NEW_PASSWORD)
    assert old.password_changed_at == START


def test_a_password_inside_its_age_is_not_asked_to_change(client, clerk, frozen):
    frozen.shift(dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS - 1))
    assert staff_sign_in(client, clerk)["Location"] == "/workbench/"


def test_password_change_refuses_a_weak_new_password(client, clerk, frozen):
    staff_sign_in(client, clerk)
    response = client.post(
        "/account/password/",
        {
            "old_password": factories.PASSWORD,
            "new_password": "weakpass1",
            "new_password2": "weakpass1",
        },
    )
    assert "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。" in page_text(response)
    clerk.refresh_from_db()
    assert clerk.check_password(factories.PASSWORD)


# --- session time-outs ------------------------------------------------------------------------


def test_idle_session_is_logged_out(client, clerk, frozen):
    staff_sign_in(client, clerk)
    frozen.shift(settings.SESSION_IDLE_TIMEOUT_S - 60)
    assert client.get("/workbench/").status_code == 200
    frozen.shift(settings.SESSION_IDLE_TIMEOUT_S + 1)
    response = client.get("/workbench/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/workbench/"
    assert logged_in_user_id(client) is None


def test_absolute_session_limit_logs_out_even_an_active_user(client, clerk, frozen):
    staff_sign_in(client, clerk)
    step = settings.SESSION_IDLE_TIMEOUT_S - 60
    elapsed = 0
    while elapsed + step <= settings.SESSION_ABSOLUTE_TIMEOUT_S:
        frozen.shift(step)
        elapsed += step
        assert client.get("/workbench/").status_code == 200
    frozen.shift(step)
    response = client.get("/workbench/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/workbench/"
    assert logged_in_user_id(client) is None
    assert "登录已超过最长时限，请重新登录。" in page_text(client.get("/login/"))


def test_logout_ends_the_session(client, clerk, frozen):
    staff_sign_in(client, clerk)
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert logged_in_user_id(client) is None


# --- citizens: password + SMS code ------------------------------------------------------------


def sms_code_for(phone):
    message = OutboxMessage.objects.filter(recipient=phone).order_by("-created_at").first()
    match = re.search(r"验证码是 ([0-9]{6})", message.body)
    return match.group(1)


def citizen_password_step(client, citizen, password=factories.PASSWORD):
    return client.post("/portal/login/", {"phone": citizen.phone, "password": password})


def test_citizen_login_with_the_sms_code_end_to_end(
    client, citizen, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = citizen_password_step(client, citizen)
    assert response.status_code == 302 and response["Location"] == "/portal/login/code/"
    assert logged_in_user_id(client) is None
    message = OutboxMessage.objects.get(recipient=citizen.phone)
    # The on-commit wake-up ran the worker (immediate in tests): the sandbox took the message.
    assert message.state == OutboxMessage.State.SENT
    assert message.gateway_message_id.startswith("sandbox-")
    assert message.expires_at == START + dt.timedelta(seconds=settings.SMS_CODE_TTL_S)
    page = page_text(client.get("/portal/login/code/"))
    assert "138****5678" in page

    response = client.post("/portal/login/code/", {"code": sms_code_for(citizen.phone)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_user_id(client) == str(citizen.pk)
    assert "张三" in page_text(client.get("/"))


def test_a_wrong_sms_code_is_refused(client, citizen, frozen):
    citizen_password_step(client, citizen)
    code = sms_code_for(citizen.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = client.post("/portal/login/code/", {"code": wrong})
    assert "验证码不正确。" in page_text(response)
    assert logged_in_user_id(client) is None


def test_the_sms_code_expires(client, citizen, frozen):
    citizen_password_step(client, citizen)
    code = sms_code_for(citizen.phone)
    frozen.shift(settings.SMS_CODE_TTL_S + 1)
    response = client.post("/portal/login/code/", {"code": code})
    assert "验证码已过期，请重新获取。" in page_text(response)
    assert logged_in_user_id(client) is None


def test_four_wrong_sms_codes_then_the_right_one_still_signs_in(client, citizen, frozen):
    citizen_password_step(client, citizen)
    for _ in range(4):
        client.post("/portal/login/code/", {"code": "999999"})
    # (a 1-in-a-million clash with the real code is not worth guarding against)
    response = client.post("/portal/login/code/", {"code": sms_code_for(citizen.phone)})
    assert response.status_code == 302 and logged_in_user_id(client) == str(citizen.pk)


def test_five_wrong_sms_codes_lock_the_account(client, citizen, frozen):
    citizen_password_step(client, citizen)
    code = sms_code_for(citizen.phone)
    for _ in range(4):
        client.post("/portal/login/code/", {"code": "999999" if code != "999999" else "888888"})
    response = client.post(
        "/portal/login/code/", {"code": "999999" if code != "999999" else "888888"}
    )
    assert response.status_code == 429
    response = client.post("/portal/login/code/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/portal/login/"
    assert citizen_password_step(client, citizen).status_code == 429
    assert logged_in_user_id(client) is None


def test_sms_code_resend_is_throttled(client, citizen, frozen):
    citizen_password_step(client, citizen)
    first = sms_code_for(citizen.phone)
    client.post("/portal/login/code/", {"resend": "1"})
    assert OutboxMessage.objects.filter(recipient=citizen.phone).count() == 1
    assert "请在 60 秒后再获取验证码。" in page_text(client.get("/portal/login/code/"))
    frozen.shift(61)
    client.post("/portal/login/code/", {"resend": "1"})
    assert OutboxMessage.objects.filter(recipient=citizen.phone).count() == 2
    # Only the newest code works.
    second = sms_code_for(citizen.phone)
    if first != second:
        assert "验证码不正确。" in page_text(client.post("/portal/login/code/", {"code": first}))
    response = client.post("/portal/login/code/", {"code": second})
    assert response.status_code == 302 and logged_in_user_id(client) == str(citizen.pk)


def test_a_wrong_citizen_password_sends_no_sms(client, citizen):
    response = citizen_password_step(client, citizen, "Wrong#Pass1")
    assert "手机号码或密码不正确。" in page_text(response)
    assert not OutboxMessage.objects.exists()


def test_staff_cannot_use_the_citizen_login(client, clerk):
    response = client.post("/portal/login/", {"phone": "clerk", "password": factories.PASSWORD})
    assert "工作人员请从工作台登录入口登录。" in page_text(response)
    assert not OutboxMessage.objects.exists()


def test_expired_pending_login_starts_over(client, clerk, frozen):
    password_step(client, "clerk")
    frozen.shift(dt.timedelta(minutes=11))
    response = client.post("/login/verify/", {"code": factories.totp_code(clerk)})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert logged_in_user_id(client) is None


def test_sign_ins_and_refusals_are_in_the_audit_trail(client, city):
    from quanban.accounts.roles import Role
    from quanban.core.models import AuditRecord

    user = factories.make_staff(city, Role.WINDOW_CLERK, username="audited")
    client.post("/login/", {"username": "audited", "password": "Wrong#2026x"})
    client.post("/login/", {"username": "audited", "password": factories.PASSWORD})
    client.post("/login/verify/", {"code": factories.totp_code(user)})
    client.post("/logout/")
    rows = list(
        AuditRecord.objects.filter(action__startswith="session.")
        .order_by("seq")
        .values_list("action", "result", "actor_id", "changes")
    )
    assert rows == [
        ("session.login", "denied", None, {"username": "audited", "refused_because": "password"}),
        ("session.login", "ok", user.pk, {"username": "audited", "method": "password+totp"}),
        ("session.logout", "ok", user.pk, {"username": "audited"}),
    ]
