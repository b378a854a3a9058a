from django.contrib import admin

from scheduling import outbox
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

    # Edits here bypass the workflows: say so to what is computed from the owner's meetings (the
    # free times of their booking pages), as a workflow's record would.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        outbox.calendar_changed(obj.owner_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        outbox.calendar_changed(obj.owner_id)

    def delete_queryset(self, request, queryset):
        owners = set(queryset.values_list("owner_id", flat=True))
        super().delete_queryset(request, queryset)
        for owner_id in owners:
            outbox.calendar_changed(owner_id)
