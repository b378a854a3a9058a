from django.contrib import admin

from scheduling.models import Attendee, Event


class AttendeeInline(admin.TabularInline):
    model = Attendee
    extra = 0
    readonly_fields = ("token",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "start", "end", "origin", "status")
    list_filter = ("origin", "status", "kind")
    search_fields = ("title", "owner__username")
    raw_id_fields = ("owner",)
    readonly_fields = ("uid", "sequence")
    inlines = [AttendeeInline]
