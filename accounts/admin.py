from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import CalDAVAccount, Contact, GoogleCalendarConnection, ICSSubscription, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Convene", {"fields": ("name", "timezone")}))
    list_display = ("username", "email", "name", "timezone", "is_staff", "date_joined")
    search_fields = ("username", "email", "name")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("email", "first_name", "last_name", "owner", "created_at")
    search_fields = ("email", "first_name", "last_name", "owner__username")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)


@admin.register(GoogleCalendarConnection)
class GoogleCalendarConnectionAdmin(admin.ModelAdmin):
    list_display = ("user", "target_calendar", "problem", "problem_at", "connected_at")
    list_filter = ("problem",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user", "account")
    readonly_fields = ("calendars", "connected_at")


@admin.register(CalDAVAccount)
class CalDAVAccountAdmin(admin.ModelAdmin):
    """The password is encrypted and not editable, so it never shows here."""

    list_display = ("user", "name", "server_url", "username", "problem", "connected_at")
    list_filter = ("problem",)
    search_fields = ("user__username", "user__email", "server_url", "username")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("calendars", "principal_url", "home_url", "connected_at", "last_error", "problem_at")


@admin.register(ICSSubscription)
class ICSSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "busy", "fetched_at", "last_error")
    search_fields = ("user__username", "user__email", "name")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    exclude = ("intervals",)
    readonly_fields = ("etag", "last_modified", "fetched_at", "expanded_tz", "expanded_from", "expanded_until")
