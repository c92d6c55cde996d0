"""The `danvan` command's help in Vietnamese (`DANVAN_CLI_LANG=vi`, or a Vietnamese locale).

The commands are written with English help; `localize` replaces it, command by command and
option by option, on the built click tree before it runs, and puts the words of click's and
Typer's own frame (Usage, Options, Missing option …) into Vietnamese. A command or option
missing here keeps its English help (tests/test_cli_language.py checks none is missing)."""

from __future__ import annotations

import importlib
from typing import Any

import typer.rich_utils

# Typer carries its own copy of click (typer._click): the strings to translate live there.
CLICK = "typer._click"

# Command path ("" is `danvan` itself) → help; "path --option" → the option's help.
HELP: dict[str, str] = {
    "": "Dân Vận: tiếp nhận và trả lời phản ánh, kiến nghị của người dân",
    "analyze": (
        "Gán lại nhãn (chủ đề, sắc thái, loại, khẩn cấp, xúc phạm) cho tin nhắn đã lưu của người "
        "dân bằng bộ mô hình đang dùng. Nhãn của mô hình được thay; nhãn cán bộ đã sửa được giữ."
    ),
    "analyze --since": "Gán lại nhãn cho tin nhắn nhận từ ngày này (ví dụ 2026-11-01)",
    "analyze --batch": "Số tin nhắn mỗi giao dịch",
    "cases": "Vụ việc: đơn vị phụ trách và khoá Open311",
    "cases open311-key": "Tạo khoá API Open311 cho hệ thống đối tác NAME; khoá chỉ in ra một lần.",
    "cases open311-key --as": "E-mail của quản trị viên thực hiện",
    "cases unit-create": "Tạo đơn vị phụ trách (cơ quan cấp xã hoặc sở, ngành của tỉnh).",
    "cases unit-create --as": "E-mail của quản trị viên thực hiện",
    "cases unit-create --commune": "Mã xã/phường (bỏ trống: cấp tỉnh)",
    "cases unit-create --head": "E-mail của trưởng đơn vị",
    "classify": (
        "Gán nhãn cho văn bản trong tệp CSV (chủ đề, sắc thái, loại, khẩn cấp, xúc phạm) bằng bộ "
        "mô hình dư luận đang dùng; ghi các cột của tệp vào cùng năm nhãn."
    ),
    "classify --input": "Tệp CSV UTF-8 có dòng tiêu đề (chấp nhận BOM)",
    "classify --out": "Tệp CSV để ghi kết quả",
    "classify --text-column": "Cột chứa văn bản",
    "contact": "Dữ liệu cá nhân của người dân (Nghị định 13/2023)",
    "contact delete": (
        "Xoá dữ liệu cá nhân của người dân mã ID (chỉ quản trị viên). Số liệu thống kê và nhật ký "
        "được giữ."
    ),
    "contact delete --as": "E-mail của cán bộ thực hiện",
    "contact delete --reason": "Lý do (ghi vào nhật ký)",
    "contact export": (
        "In ra dạng JSON mọi dữ liệu đang lưu về người dân mã ID (cán bộ xã của họ, quản trị viên)."
    ),
    "contact export --as": "E-mail của cán bộ thực hiện",
    "db": "Cấu trúc cơ sở dữ liệu",
    "db upgrade": "Nâng cấu trúc cơ sở dữ liệu tới phiên bản REVISION (mặc định: mới nhất).",
    "demo": "Tạo cơ sở dữ liệu, nạp dữ liệu mẫu và chạy bản dùng thử với Zalo giả lập và worker.",
    "demo --reset": "Bắt đầu từ cơ sở dữ liệu trống",
    "demo --seed-only": "Chỉ nạp dữ liệu mẫu vào cơ sở dữ liệu đã cấu hình và chạy các tác vụ nền",
    "media": "Ảnh danvan lưu giữ (kho ảnh)",
    "media import": (
        "Chép ảnh của thư mục ảnh cũ (DANVAN_MEDIA_DIR) vào kho ảnh, giữ nguyên tên để đường link "
        "trong tin nhắn vẫn dùng được; thư mục chỉ được đọc. Chạy lại bao nhiêu lần cũng được."
    ),
    "media import --from": "Thư mục cần đọc (mặc định: DANVAN_MEDIA_DIR)",
    "model": "Bộ phân loại văn bản (công cụ xử lý tiếng Việt)",
    "model eval": (
        "Đánh giá mô hình trên tệp CSV đã gán nhãn. Dòng cuối là một đối tượng JSON: n, accuracy, "
        "macro_f1, weighted_f1, per_class và docs_per_second (một lõi)."
    ),
    "model eval --model": "Thư mục mô hình",
    "model eval --input": "Tệp CSV UTF-8 có dòng tiêu đề",
    "model eval --label-column": "Cột chứa nhãn",
    "model eval --text-column": "Cột chứa văn bản",
    "model predict": (
        "Phân loại văn bản đọc từ đầu vào chuẩn, mỗi dòng một văn bản; in mỗi dòng một đối tượng "
        "JSON (nhãn và xác suất)."
    ),
    "model predict --model": "Thư mục mô hình",
    "model retrain": (
        "Huấn luyện lại bộ phân loại dư luận trên kho mẫu cùng các nhãn cán bộ đã gán. Bộ mới chỉ "
        "được dùng nếu không kém hơn trên phần nhãn cán bộ giữ lại để kiểm tra; bộ đang dùng được "
        "giữ để `danvan model rollback`."
    ),
    "model retrain --force": "Dùng bộ mới kể cả khi không tốt hơn",
    "model rollback": "Quay lại bộ phân loại dư luận đã dùng trước lần huấn luyện lại gần nhất.",
    "model import": (
        "Chép các bộ phân loại dư luận của thư mục mô hình cũ (DANVAN_ANALYSIS_MODELS_DIR) vào "
        "cơ sở dữ liệu, nơi mọi worker trên mọi máy tìm thấy; thư mục chỉ được đọc. Chạy lại "
        "bao nhiêu lần cũng được: bộ đã lưu được bỏ qua."
    ),
    "model import --from": "Thư mục cần đọc (mặc định: DANVAN_ANALYSIS_MODELS_DIR)",
    "model train": "Huấn luyện bộ phân loại trên tệp CSV đã gán nhãn và lưu vào thư mục mô hình.",
    "model train --input": "Tệp CSV UTF-8 có dòng tiêu đề",
    "model train --label-column": "Cột chứa nhãn",
    "model train --out": "Thư mục mô hình để ghi",
    "model train --text-column": "Cột chứa văn bản",
    "model train --folds": "Số phần kiểm định chéo để tự điều chỉnh",
    "model train --optimize": (
        "Chỉ số mà ngưỡng các lớp tối đa hoá khi kiểm định chéo: macro_f1, weighted_f1 hoặc "
        "f1:NHÃN (F1 của một nhãn, ví dụ f1:toxic)"
    ),
    "report": "Báo cáo (báo cáo tình hình)",
    "report situation": (
        "Ghi báo cáo tình hình của kỳ PERIOD: tổng quan, vấn đề nổi bật và thay đổi, bảng theo "
        "xã, chuyển biến sắc thái, vấn đề mới nổi, trích dẫn đã che thông tin, vụ việc đang mở và "
        "quá hạn."
    ),
    "report situation --period": "Tháng 2026-11, tuần ISO 2026-W48, quý 2026-Q4 hoặc năm 2026",
    "report situation --out": "Tệp để ghi",
    "report situation --format": "docx | xlsx | pdf | html",
    "report situation --commune": "Mã xã/phường",
    "report situation --as": "E-mail của cán bộ thực hiện",
    "report situation --province-wide": "Số liệu toàn tỉnh cho cán bộ xã (số dưới 5 được ẩn)",
    "report situation --public": "Để công bố: số dưới 5 được ẩn",
    "report situation --issuer": "Cơ quan ban hành (mặc định: theo phạm vi)",
    "report situation --superior": "Dòng cơ quan chủ quản",
    "report situation --number": "Số văn bản (chữ số)",
    "report situation --symbol": "Ký hiệu, ví dụ BC-UBND",
    "report situation --place": "Địa danh ở dòng ngày tháng",
    "report situation --signer-title": 'Chức vụ người ký, các dòng cách nhau bởi "|"',
    "report situation --signer-name": "Họ tên người ký",
    "report situation --recipients": 'Nơi nhận, các dòng cách nhau bởi "|"',
    "serve": "Chạy ứng dụng web.",
    "serve --log-level": "debug | info | warning | error",
    "standin": "Chạy máy chủ Zalo giả lập (OA API, OAuth, Bot API) cho kiểm thử và bản dùng thử.",
    "token": "Mã API cá nhân",
    "token create": "Tạo mã API cá nhân cho EMAIL; dòng cuối cùng chỉ in mã.",
    "token revoke": "Thu hồi mọi mã API của EMAIL.",
    "user": "Tài khoản cán bộ",
    "user activate": "Mở lại tài khoản EMAIL đã khoá (các mã API chưa thu hồi dùng lại được).",
    "user create": "Tạo tài khoản cán bộ. Mật khẩu đọc từ đầu vào chuẩn.",
    "user create --role": "admin | officer | viewer",
    "user create --commune": "Mã xã/phường (lặp lại nếu nhiều xã)",
    "user deactivate": (
        "Khoá tài khoản EMAIL: các phiên đăng nhập kết thúc, mã API ngừng hoạt động ngay và không "
        "đăng nhập được (cho tới `danvan user activate`)."
    ),
    "user reset-password": (
        "Đặt mật khẩu tạm cho EMAIL, đọc từ đầu vào chuẩn: mọi phiên của tài khoản kết thúc, và "
        "khi đăng nhập bằng mật khẩu tạm, người dùng chỉ có thể chọn mật khẩu mới."
    ),
    "worker": "Gửi các tin trong hàng đợi (và chạy tác vụ nền).",
    "worker --once": "Gửi những tin đã đến hạn rồi thoát",
    "worker --name": "Tên worker trong nhật ký và khoá tác vụ",
    "zalo": "Zalo Official Account",
    "zalo set-tokens": "Lưu cặp mã truy cập/làm mới đầu tiên của OA (các cặp sau tự xoay vòng).",
    "zalo set-tokens --expires-in": "Thời hạn của mã truy cập, tính bằng giây",
    "zalo templates": "Tin nhắn mẫu Zalo (ZNS)",
    "zalo templates list": "Từng loại thông báo với mẫu tin của nó, và các loại chưa có mẫu.",
    "zalo templates map": (
        "Gán loại thông báo KIND với mẫu tin đã duyệt TEMPLATE_ID "
        "(sau `danvan zalo templates sync`)."
    ),
    "zalo templates map --param": "THAM_SỐ=TRƯỜNG, mỗi tham số một lần",
    "zalo templates sync": "Đọc các mẫu tin (/template/all, /template/info/v2) và hạn mức từ Zalo.",
}

# The frame's words: Typer's copy of click writes them in English, unlocalised.
HELP_OPTION = "Hiện hướng dẫn này rồi thoát."
ERRORS = [  # the start of click's usage errors → Vietnamese
    ("Missing option", "Thiếu tuỳ chọn"),
    ("Missing argument", "Thiếu tham số"),
    ("Missing parameter", "Thiếu tham số"),
    ("Missing command", "Thiếu lệnh"),
    ("No such option", "Không có tuỳ chọn"),
    ("No such command", "Không có lệnh"),
    ("Invalid value for", "Giá trị không hợp lệ cho"),
    ("Invalid value", "Giá trị không hợp lệ"),
    ("Got unexpected extra arguments", "Thừa tham số"),
    ("Got unexpected extra argument", "Thừa tham số"),
    ("Option", "Tuỳ chọn"),
]
RICH = {
    "DEFAULT_STRING": "[mặc định: {}]",
    "REQUIRED_LONG_STRING": "[bắt buộc]",
    "ARGUMENTS_PANEL_TITLE": "Tham số",
    "OPTIONS_PANEL_TITLE": "Tuỳ chọn",
    "COMMANDS_PANEL_TITLE": "Lệnh",
    "ERRORS_PANEL_TITLE": "Lỗi",
    "ABORTED_TEXT": "Đã dừng.",
    "RICH_HELP": "Xem [blue]'{command_path} {help_option}'[/] để được hướng dẫn.",
}


def usage_error(message: str) -> str:
    """A click usage error's sentence with its English start put into Vietnamese."""
    message = message.replace("Did you mean", "Có phải bạn muốn")
    for english, vietnamese in ERRORS:
        if message.startswith(english):
            return vietnamese + message[len(english) :]
    return message


def localize(command: Any) -> None:
    """Put the help of `command` (the built click tree, the whole of it) and the frame's words
    into Vietnamese."""
    for name, text in RICH.items():
        setattr(typer.rich_utils, name, text)
    format_error = typer.rich_utils.rich_format_error

    def rich_format_error(error: Any) -> None:
        english = error.format_message
        error.format_message = lambda: usage_error(english())
        format_error(error)

    typer.rich_utils.rich_format_error = rich_format_error  # type: ignore[assignment]
    decorators = importlib.import_module(f"{CLICK}.decorators")
    help_option = getattr(decorators, "help_option")  # noqa: B009 (typed as absent)

    def help_option_vi(*names: Any, **kwargs: Any) -> Any:
        add = help_option(*names, **kwargs)

        def apply(target: Any) -> Any:
            added = add(target)
            target.params[-1].help = HELP_OPTION
            return added

        return apply

    setattr(decorators, "help_option", help_option_vi)  # noqa: B010
    _walk(command, "")


def _walk(command: Any, path: str) -> None:
    if path in HELP:
        command.help = HELP[path]
        command.short_help = None
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option":
            continue
        key = f"{path} {param.opts[0]}".strip()
        if key in HELP:
            param.help = HELP[key]
    for name, sub in getattr(command, "commands", {}).items():
        _walk(sub, f"{path} {name}".strip())
