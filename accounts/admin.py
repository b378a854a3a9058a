from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Contact, GoogleCalendarConnection, User


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
