"""What the stand-in speaks of Zalo's protocol: the OA's id, the documented limits and the
API paths (zalo.md §3–5, §7), for the routes and for the tests that script or read them."""

OA_ID = "579745863508352884"
OA_MAX_TEXT = 2000
BOT_MAX_TEXT = 2000
MAX_IMAGE_BYTES = 1024 * 1024
ACCESS_TOKEN_SECONDS = 90000
# The Bot API's path carries the token; scripts and lookups may name it by this template.
BOT_SEND = "/bot{token}/sendMessage"

MESSAGE_CS = "/v3.0/oa/message/cs"
UPLOAD_IMAGE = "/v2.0/oa/upload/image"
CONVERSATION = "/v2.0/oa/conversation"
MESSAGE_V2 = "/v2.0/oa/message"  # only the article broadcast to followers still works there
ACCESS_TOKEN = "/v4/oa/access_token"  # noqa: S105 (a path)

# The OA's messaging windows after a citizen's last interaction (zalo.md §3, §6).
FREE_WINDOW_MS = 48 * 3600 * 1000
PAID_WINDOW_MS = 7 * 24 * 3600 * 1000

# Template messages (ZNS / ZBS Template Message, zalo.md §5): the business API's paths.
ZNS_SEND = "/message/template"
ZNS_SEND_BY_USER = "/v3.0/oa/message/template"
ZNS_TEMPLATES_PATH = "/template/all"
ZNS_TEMPLATE_INFO = "/template/info/v2"
ZNS_QUOTA = "/message/quota"


def _param(name: str, max_length: int, require: bool = True) -> dict[str, object]:
    return {"name": name, "require": require, "type": "STRING", "maxLength": max_length,
            "minLength": 0, "acceptNull": not require}  # fmt: skip


# The stand-in OA's templates, as `/template/info/v2` describes them.
ZNS_TEMPLATES: dict[str, dict[str, object]] = {
    "301001": {"templateName": "Tiếp nhận phản ánh", "status": "ENABLE", "price": "300",
               "listParams": [_param("ma_phan_anh", 30), _param("han_tra_loi", 20)]},
    "301002": {"templateName": "Kết quả giải quyết phản ánh", "status": "ENABLE", "price": "300",
               "listParams": [_param("ma_phan_anh", 30), _param("trang_thai", 50),
                              _param("tra_cuu", 100)]},
    "301003": {"templateName": "Đề nghị bổ sung thông tin", "status": "ENABLE", "price": "300",
               "listParams": [_param("ma_phan_anh", 30), _param("noi_dung", 200)]},
    "301004": {"templateName": "Cập nhật tình trạng phản ánh", "status": "ENABLE",
               "price": "300",
               "listParams": [_param("ma_phan_anh", 30), _param("trang_thai", 50),
                              _param("ly_do", 200, require=False)]},
    "301005": {"templateName": "Kết quả lấy ý kiến", "status": "ENABLE", "price": "300",
               "listParams": [_param("ten_dot", 100), _param("xem_ket_qua", 100)]},
    "301006": {"templateName": "Nhắc lịch tập huấn", "status": "PENDING_REVIEW",
               "price": "300",
               "listParams": [_param("khoa_hoc", 100), _param("thoi_gian", 30)]},
}  # fmt: skip
