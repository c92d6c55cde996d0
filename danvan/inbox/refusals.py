"""Why the public web form refuses a submission: its limits, and the codes and Vietnamese
messages of every refusal (the page shows `public.error.<code>` instead)."""

from __future__ import annotations

from datetime import timedelta

from danvan.kernel.errors import CoreError, Invalid

# --- Limits -----------------------------------------------------------------------------------

MIN_FILL_SECONDS = 3  # a person needs longer than this to fill the form
MAX_FORM_AGE = timedelta(days=1)
MAX_LINKS = 2
MAX_NAME = 100
DUPLICATE_WINDOW = timedelta(minutes=15)
RATE_WINDOW = timedelta(hours=1)
# All IPs together; protects the commune inboxes from a flood spread over many addresses.
GLOBAL_PER_HOUR = 600
# Failed tracking-code lookups per IP and hour before every lookup from that IP is refused.
LOOKUP_FAILURES_PER_HOUR = 20

# --- Errors -----------------------------------------------------------------------------------

MESSAGES = {
    "honeypot": "Không thể gửi biểu mẫu này. Vui lòng tải lại trang và thử lại.",
    "bad_token": "Biểu mẫu không hợp lệ. Vui lòng tải lại trang và gửi lại.",
    "expired": "Biểu mẫu đã mở quá lâu. Vui lòng kiểm tra nội dung và bấm gửi lại.",
    "too_fast": "Bạn gửi quá nhanh. Vui lòng kiểm tra nội dung và bấm gửi lại sau vài giây.",
    "rate_limited": "Bạn đã gửi nhiều lần trong một giờ. Vui lòng thử lại sau.",
    "busy": "Hệ thống đang nhận quá nhiều phản ánh. Vui lòng thử lại sau ít phút.",
    "duplicate": "Bạn vừa gửi nội dung này. Cán bộ sẽ xem và trả lời, không cần gửi lại.",
    "lookup_limited": "Bạn đã tra cứu sai mã quá nhiều lần. Vui lòng thử lại sau một giờ.",
    "commune_required": "Vui lòng chọn xã/phường nơi bạn phản ánh.",
    "commune_unknown": "Không tìm thấy xã/phường này trong tỉnh. Vui lòng chọn trong danh sách.",
    "name_too_long": f"Họ tên dài quá {MAX_NAME} ký tự.",
    "phone_invalid": "Số điện thoại không hợp lệ (ví dụ: 0912 345 678).",
    "phone_needs_consent": "Để lưu số điện thoại, vui lòng đánh dấu ô đồng ý.",
    "text_required": "Vui lòng nhập nội dung phản ánh.",
    "text_too_long": "Nội dung quá dài.",
    "too_many_links": f"Nội dung chứa quá nhiều đường link (tối đa {MAX_LINKS}).",
    "photo_too_big": "Ảnh quá lớn.",
    "photo_invalid": "Tệp đính kèm không phải ảnh JPEG, PNG hoặc WebP hợp lệ.",
    "photo_dimensions": "Kích thước ảnh quá lớn. Vui lòng chọn ảnh nhỏ hơn.",
}


class Refused(CoreError):
    """The whole submission is refused (spam, limits, duplicate); the form is kept."""

    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(MESSAGES[code], code=code)
        self.status = status


class FormInvalid(Invalid):
    """One or more fields are wrong: `errors` maps each field to its refusal code."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(MESSAGES[c] for c in errors.values()), code="form_invalid")
        self.errors = errors
