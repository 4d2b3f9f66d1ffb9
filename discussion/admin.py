from django.contrib import admin

from discussion.models import Comment, CommentRevision, Quote


class RevisionInline(admin.TabularInline):
    model = CommentRevision
    extra = 0
    readonly_fields = ["body", "created_at", "replaced_at"]
    can_delete = False


class QuoteInline(admin.TabularInline):
    model = Quote
    extra = 0
    readonly_fields = ["source", "text", "passage", "paragraph", "position"]
    can_delete = False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["number", "article", "author", "status", "score", "created_at"]
    list_filter = ["status"]
    list_select_related = ["article", "author"]
    search_fields = ["body", "author__username", "article__title"]
    raw_id_fields = ["article", "parent", "author"]
    readonly_fields = [
        "article",
        "parent",
        "author",
        "number",
        "path",
        "depth",
        "created_at",
        "edited_at",
        "score",
        "upvotes",
        "downvotes",
        "ip_address",
    ]
    exclude = ["body_html", "client_token", "reply_counter"]
    inlines = [QuoteInline, RevisionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Nothing is destroyed: moderation marks comments removed instead.
        return False
