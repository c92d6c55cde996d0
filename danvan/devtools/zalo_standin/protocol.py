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
