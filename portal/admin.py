"""Admin for the portal's own models.

The audit log is read-only for everyone, superusers included: history is never edited or
deleted. Notifications, reminders and documents are records of what happened and are read
here, not changed. User changes made here are audited like any other change.
"""

from contextvars import ContextVar
from typing import Any

from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from portal.actions import all_audit_actions
from portal.errors import PermissionRefused
from portal.models import AuditEvent, Document, Notification, ReminderLog, User
from portal.permissions import can
from portal.services import (
    USER_ADMIN_FIELDS,
    last_chair_problem,
    user_admin_create,
    user_admin_update,
    user_password_set,
    user_set_roles,
)


def _may(request: HttpRequest, action: str, obj: object | None = None) -> bool:
    """Whether the signed-in user may take `action` (the admin's methods are typed with
    Django's HttpRequest, whose user may be anonymous: the anonymous user may do nothing)."""
    user = request.user
    return isinstance(user, User) and can(user, action, obj)


def _actor(request: HttpRequest) -> User:
    """The signed-in user making a change through the admin site."""
    user = request.user
    if not isinstance(user, User):  # the admin site's views require a signed-in user
        raise PermissionDenied
    return user


def _may_read_records(request: HttpRequest) -> bool:
    return _may(request, "records.read_all")


class AuditActionFilter(admin.SimpleListFilter):
    """Filter by action, listing every action every app declares (portal.actions)."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return all_audit_actions()

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(action=value) if value else queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, filtered and searched; never added, changed or deleted through the admin.

    Auditors and program admins who are staff may read without model permissions.
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_read_records(request) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_read_records(request) or super().has_module_permission(request)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "action", "actor_label", "target", "ip_address")
    list_filter = (AuditActionFilter, "created_at", "target_type")
    search_fields = ("action", "actor_label", "target_type", "target_id", "target_repr", "hash")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    show_full_result_count = False
    fields = (
        "created_at",
        "actor",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "before",
        "after",
        "ip_address",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    @admin.display(description="target", ordering="target_type")
    def target(self, event: AuditEvent) -> str:
        return f"{event.target_type}:{event.target_id} {event.target_repr}"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "subject", "template", "read_at", "email_sent_at")
    list_filter = ("template", "created_at", "read_at", "email_sent_at")
    search_fields = ("user__email", "subject", "template")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "template",
        "subject",
        "body_text",
        "url",
        "created_at",
        "read_at",
        "email_sent_at",
        "email_attempts",
    )
    fields = readonly_fields
    actions = ("send_unsent_email_again",)

    @admin.action(description="Send the email again now (unsent ones only)", permissions=["resend"])
    def send_unsent_email_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        from portal.tasks import notification_send_email

        ids = list(queryset.filter(email_sent_at__isnull=True).values_list("pk", flat=True))
        for pk in ids:
            notification_send_email.delay(notification_id=pk)
        self.message_user(request, f"{len(ids)} email(s) queued.", messages.SUCCESS)

    def has_resend_permission(self, request: HttpRequest) -> bool:
        # Retrying a send edits nothing; sending twice is prevented by the task itself.
        return _may_read_records(request)


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "key", "user", "notification")
    list_filter = ("sent_at",)
    search_fields = ("key", "user__email")
    date_hierarchy = "sent_at"
    list_select_related = ("user", "notification")
    readonly_fields = ("key", "user", "notification", "sent_at")
    fields = readonly_fields


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "owner", "purpose", "content_type", "size", "uploaded_at")
    list_filter = ("purpose", "content_type", "uploaded_at")
    search_fields = ("original_name", "owner__email", "purpose", "sha256", "id")
    date_hierarchy = "uploaded_at"
    list_select_related = ("owner",)
    readonly_fields = (
        "id",
        "owner",
        "purpose",
        "original_name",
        "stored_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "download",
    )
    fields = readonly_fields

    @admin.display(description="download")
    def download(self, document: Document) -> str:
        # Through the permission-checked view, like everyone else.
        url = reverse("document-download", args=[document.pk])
        return format_html('<a href="{}">Download</a>', url)


class _EmailLoginMixin(forms.ModelForm):
    """The email address is the login: stored lower-case and unique whatever its case."""

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()
        taken = taken or (
            EmailAddress.objects.filter(email__iexact=email)
            .exclude(user_id=self.instance.pk)
            .exists()
        )
        if taken:
            raise forms.ValidationError("Another user already signs in with this address.")
        return email


class PortalUserCreationForm(_EmailLoginMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")
        field_classes: dict[str, type[forms.Field]] = {}


class PortalUserChangeForm(_EmailLoginMixin, UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "password", "is_active", "is_staff", "is_superuser")
        field_classes: dict[str, type[forms.Field]] = {}

    def clean_is_active(self) -> Any:
        """The last PRAB chair stays active (the same rule as for the chair role)."""
        active = self.cleaned_data.get("is_active")
        if active is False and self.instance.pk and self.instance.is_active:
            problem = last_chair_problem(self.instance, [])
            if problem:
                raise forms.ValidationError(problem.replace("give the chair role", "give it"))
        return active

    def clean_groups(self) -> Any:
        """The board keeps a chair: taking the role from the last one is refused here, with
        the service's words, rather than failing on save."""
        groups = self.cleaned_data.get("groups")
        if groups is not None and self.instance.pk:
            problem = last_chair_problem(self.instance, [group.name for group in groups])
            if problem:
                raise forms.ValidationError(problem)
        return groups


_password_actor: ContextVar[User | None] = ContextVar("portal_password_actor", default=None)


class AuditedAdminPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's password form, saved through user_password_set (audited)."""

    def save(self, commit: bool = True) -> Any:
        actor = _password_actor.get()
        if actor is None:  # only the user admin's own view sets the actor
            raise PermissionRefused("Set passwords from the user admin.")
        usable = self.cleaned_data.get("set_usable_password", True)
        return user_password_set(
            user=self.user,
            password=self.cleaned_data["password1"] if usable else None,
            actor=actor,
        )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users sign in with their email address; there is no username.

    Every write goes through the user services (portal/services.py), which check the
    permission table and audit: creating and changing an account, its roles (groups) and its
    password. Users are deactivated, never deleted: the audit log refers to them.
    """

    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    change_password_form = AuditedAdminPasswordChangeForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Roles and access", {"fields": ("is_active", "groups", "is_staff", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "full_name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    filter_horizontal = ("groups",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = ["last_login", "date_joined"]
        # The staff and superuser flags: only a superuser sets them. No role of the
        # permission table grants this yet (Django's own model permissions, which other
        # apps' admins use, follow the superuser flag).
        if not request.user.is_superuser:
            readonly += ["is_staff", "is_superuser"]
        if not _may(request, "user.roles.set", obj):
            readonly.append("groups")
        return readonly

    # The admin site follows the permission table, not Django's model permissions: program
    # admins change accounts, auditors read them, and the superuser flag adds nothing.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_read_records(request) or self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may(request, "user.admin_change")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may(request, "user.admin_change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        actor = _actor(request)
        if not change:
            user_admin_create(user=obj, actor=actor)
            return
        changed = [name for name in USER_ADMIN_FIELDS if name in form.changed_data]
        if not changed:
            return
        # The form has already applied the new values to `obj`: hand the service the new
        # values on an instance that still holds the stored ones.
        changes = {name: getattr(obj, name) for name in changed}
        for name in changed:
            setattr(obj, name, form.initial.get(name))
        user_admin_update(user=obj, changes=changes, actor=actor)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        roles = form.cleaned_data.pop("groups", None)
        super().save_related(request, form, formsets, change)
        if roles is not None:
            user_set_roles(
                user=form.instance,
                roles=[group.name for group in roles],
                actor=_actor(request),
            )

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        token = _password_actor.set(_actor(request))
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(token)


def _readable_by_auditors(model: type[Any]) -> None:
    """Let auditors (and program admins) read another app's records in the admin.

    The admin classes of django.contrib.auth, allauth and axes answer with Django's model
    permissions, which auditors do not hold; DESIGN has them read everything. Viewing is
    added; adding, changing and deleting still follow the original class.
    """
    registered = admin.site._registry.get(model)
    if registered is None:
        return
    base = type(registered)

    def has_view_permission(self: Any, request: HttpRequest, obj: Any = None) -> bool:
        return _may_read_records(request) or base.has_view_permission(self, request, obj)

    def has_module_permission(self: Any, request: HttpRequest) -> bool:
        return _may_read_records(request) or base.has_module_permission(self, request)

    readable = type(
        f"Readable{base.__name__}",
        (base,),
        {
            "has_view_permission": has_view_permission,
            "has_module_permission": has_module_permission,
        },
    )
    admin.site.unregister(model)
    admin.site.register(model, readable)


def _third_party_records() -> list[type[Any]]:
    from allauth.mfa.models import Authenticator
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group

    return [EmailAddress, Group, Authenticator, AccessAttempt, AccessLog, AccessFailureLog]


for _model in _third_party_records():
    _readable_by_auditors(_model)


# The onboarding records, read-only like the rest of the history (registered on import).
import portal.onboarding.admin  # noqa: E402, F401
