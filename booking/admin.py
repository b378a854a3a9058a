from django.contrib import admin

from booking.models import Booking, DateOverride, EventType, OfferedSlot, Schedule, WeeklyHours


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    extra = 0


class DateOverrideInline(admin.TabularInline):
    model = DateOverride
    extra = 0


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "timezone", "is_default")
    search_fields = ("name", "owner__username")
    raw_id_fields = ("owner",)
    inlines = [WeeklyHoursInline, DateOverrideInline]


class OfferedSlotInline(admin.TabularInline):
    model = OfferedSlot
    extra = 0


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "slug", "kind", "duration", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("title", "slug", "owner__username")
    raw_id_fields = ("owner", "schedule")
    inlines = [OfferedSlotInline]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "host", "event_type", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "email", "host__username")
    raw_id_fields = ("host", "event_type", "event")
    readonly_fields = ("uid", "token", "sequence")
