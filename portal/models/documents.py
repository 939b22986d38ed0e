import uuid

from django.conf import settings
from django.db import models


class Document(models.Model):
    """An uploaded file kept in private storage, outside the web root.

    The stored name is made by the server; the uploader's file name is kept only for
    display. Downloads go through a permission-checked view.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="documents",
        help_text="Who uploaded the file.",
    )
    purpose = models.CharField(
        max_length=100, help_text="What the file is for, e.g. 'irb_approval' or 'biosketch'."
    )
    original_name = models.CharField(
        max_length=255, help_text="The uploader's file name, cleaned; for display only."
    )
    stored_name = models.CharField(
        max_length=255, unique=True, help_text="The server-made path inside private storage."
    )
    content_type = models.CharField(
        max_length=100, help_text="The type found by reading the file's content."
    )
    size = models.PositiveBigIntegerField(help_text="Size in bytes.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the content as stored.")
    uploaded_at = models.DateTimeField(auto_now_add=True, help_text="When it was uploaded.")

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name
