from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Contact, User


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
