"""Staff roles and what each may do: the one place permissions are defined."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    WINDOW_CLERK = "window_clerk", _("窗口人员")
    REVIEWER = "reviewer", _("审查人员")
    APPROVER = "approver", _("审批人员")
    OFFICE_HEAD = "office_head", _("处(科)室负责人")
    DEPARTMENT_HEAD = "department_head", _("部门负责人")
    SUPERVISOR = "supervisor", _("督查人员")
    CATALOGUE_EDITOR = "catalogue_editor", _("事项编辑")
    CATALOGUE_REVIEWER = "catalogue_reviewer", _("事项审核")
    DATA_OFFICER = "data_officer", _("数据专员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


# 等保 level 3 three-role separation: no account holds two of these.
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


class Perm(models.TextChoices):
    """Permissions, granted to roles below. Code asks ``user_has_perm(user, Perm.X)``."""

    WORKBENCH = "workbench", _("进入工作台")
    AUDIT_VIEW = "audit.view", _("查阅审计记录")
    ROLE_GRANT = "role.grant", _("授予或收回角色")
    ACCOUNT_MANAGE = "account.manage", _("管理账号")
    ORG_MANAGE = "org.manage", _("维护组织机构")
    CALENDAR_EDIT = "calendar.edit", _("维护工作日历")
    SEARCH_ADMIN = "search.admin", _("维护搜索同义词")
    APPLICANT_WRITE = "applicant.write", _("登记申请人")
    APPLICANT_UNMASK = "applicant.unmask", _("查看完整证件号码")
    BUSINESS_WRITE = "business.write", _("办理业务")
    CATALOGUE_EDIT = "catalogue.edit", _("编辑事项目录")
    CATALOGUE_PUBLISH = "catalogue.publish", _("审核发布事项")
    # 电子档案: the list of packages and the disposal listing (no personal data) / the packages
    # themselves (the whole case, personal numbers unmasked), each in the role's scope.
    ARCHIVE_VIEW = "archive.view", _("查阅电子档案目录")
    ARCHIVE_DOWNLOAD = "archive.download", _("下载电子档案")


_BUSINESS = {Perm.WORKBENCH, Perm.BUSINESS_WRITE, Perm.APPLICANT_WRITE}
_ARCHIVES = {Perm.ARCHIVE_VIEW, Perm.ARCHIVE_DOWNLOAD}

ROLE_PERMS: dict[str, frozenset[str]] = {
    Role.WINDOW_CLERK: frozenset(_BUSINESS | {Perm.APPLICANT_UNMASK}),
    Role.REVIEWER: frozenset(_BUSINESS | {Perm.APPLICANT_UNMASK}),
    Role.APPROVER: frozenset(_BUSINESS | {Perm.APPLICANT_UNMASK}),
    Role.OFFICE_HEAD: frozenset(_BUSINESS | _ARCHIVES | {Perm.APPLICANT_UNMASK}),
    Role.DEPARTMENT_HEAD: frozenset(_BUSINESS | _ARCHIVES | {Perm.APPLICANT_UNMASK}),
    Role.SUPERVISOR: frozenset({Perm.WORKBENCH, Perm.ARCHIVE_VIEW}),
    Role.CATALOGUE_EDITOR: frozenset({Perm.WORKBENCH, Perm.BUSINESS_WRITE, Perm.CATALOGUE_EDIT}),
    Role.CATALOGUE_REVIEWER: frozenset(
        {Perm.WORKBENCH, Perm.BUSINESS_WRITE, Perm.CATALOGUE_PUBLISH, Perm.SEARCH_ADMIN}
    ),
    Role.DATA_OFFICER: frozenset({Perm.WORKBENCH, Perm.BUSINESS_WRITE}),
    # The system administrator runs the platform but cannot read the audit trail.
    Role.SYSTEM_ADMIN: frozenset(
        {
            Perm.WORKBENCH,
            Perm.ACCOUNT_MANAGE,
            Perm.ORG_MANAGE,
            Perm.CALENDAR_EDIT,
            Perm.SEARCH_ADMIN,
        }
    ),
    # The security administrator grants and revokes roles.
    Role.SECURITY_ADMIN: frozenset({Perm.WORKBENCH, Perm.ROLE_GRANT}),
    # The audit administrator reads the trail and writes no business data.
    Role.AUDIT_ADMIN: frozenset({Perm.WORKBENCH, Perm.AUDIT_VIEW}),
}
