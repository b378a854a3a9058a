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
    list_display = ("name", "email", "event", "event_type", "created_at")
    list_filter = ("event__status",)
    search_fields = ("name", "email", "event__owner__username")
    raw_id_fields = ("event_type", "event", "attendee")
    readonly_fields = ("token",)
