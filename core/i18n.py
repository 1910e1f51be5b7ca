"""User-facing text, Chinese first, looked up by stable key.

Every message a citizen may see lives in ``MESSAGES``; code never embeds it. Adding a locale
(e.g. Mongolian, ``mn``) means adding a column here, nothing else.
"""

from __future__ import annotations

DEFAULT_LOCALE = "zh-CN"

MESSAGES: dict[str, dict[str, str]] = {
    "BAD_REQUEST": {"zh-CN": "请求有误", "en": "Bad request"},
    "VALIDATION_FAILED": {"zh-CN": "提交的内容不符合要求，请检查后重试", "en": "Validation failed"},
    "INVALID_PARAMETER": {"zh-CN": "请求参数有误", "en": "Invalid parameter"},
    "BODY_TOO_DEEP": {"zh-CN": "请求内容嵌套层级过深", "en": "Request body nested too deeply"},
    "NOT_FOUND": {"zh-CN": "您访问的内容不存在", "en": "Not found"},
    "METHOD_NOT_ALLOWED": {"zh-CN": "不支持该请求方式", "en": "Method not allowed"},
    "UNAUTHORIZED": {"zh-CN": "请先登录", "en": "Authentication required"},
    "FORBIDDEN": {"zh-CN": "您无权进行此操作", "en": "Forbidden"},
    "CONFLICT": {"zh-CN": "操作冲突，请刷新后重试", "en": "Conflict"},
    "PAYLOAD_TOO_LARGE": {"zh-CN": "上传的内容过大", "en": "Payload too large"},
    "TOO_MANY_REQUESTS": {"zh-CN": "操作过于频繁，请稍后再试", "en": "Too many requests"},
    "INTERNAL_ERROR": {"zh-CN": "系统繁忙，请稍后再试", "en": "Internal error"},
    "SERVICE_UNAVAILABLE": {"zh-CN": "服务暂不可用，请稍后再试", "en": "Service unavailable"},
    "DEAD_LETTER_NOT_FOUND": {
        "zh-CN": "该失败任务不存在，可能已被重试或丢弃",
        "en": "No such parked job",
    },
    "JOB_ALREADY_QUEUED": {
        "zh-CN": "相同的任务已在队列中，无需重试",
        "en": "The same job is queued already",
    },
    "WECHAT_CODE_INVALID": {
        "zh-CN": "微信登录凭证无效或已过期，请重新登录",
        "en": "WeChat code invalid",
    },
    "SSO_STATE_INVALID": {"zh-CN": "实名认证会话已失效，请重新发起认证", "en": "SSO state invalid"},
    "SSO_REJECTED": {
        "zh-CN": "统一身份认证未通过，请重新认证",
        "en": "Identity provider rejected the sign-in",
    },
    "REAL_NAME_CONFLICT": {
        "zh-CN": "当前账号已绑定其他实名身份，无法再绑定此身份",
        "en": "This account is bound to another person's real name",
    },
    "SMS_CODE_INVALID": {"zh-CN": "短信验证码错误或已过期", "en": "SMS code invalid or expired"},
    "SMS_RATE_LIMITED": {
        "zh-CN": "验证码发送过于频繁，请稍后再试",
        "en": "Too many SMS codes requested",
    },
    "PHONE_REJECTED": {
        "zh-CN": "手机号码无法接收短信，请检查后重试",
        "en": "Phone number rejected",
    },
    "PHONE_MISSING": {
        "zh-CN": "该账号未绑定手机号码，无法发送验证码",
        "en": "No phone number on record",
    },
    "TOKEN_INVALID": {"zh-CN": "登录状态无效，请重新登录", "en": "Invalid token"},
    "TOKEN_EXPIRED": {"zh-CN": "登录已过期，请重新登录", "en": "Token expired"},
    "TOKEN_REVOKED": {"zh-CN": "登录已失效，请重新登录", "en": "Token revoked"},
    "REFRESH_TOKEN_INVALID": {"zh-CN": "登录已过期，请重新登录", "en": "Refresh token invalid"},
    "REFRESH_TOKEN_REUSED": {
        "zh-CN": "检测到账号异常使用，已退出所有登录，请重新登录",
        "en": "Refresh token reused; session revoked",
    },
    "ASSURANCE_LEVEL_TOO_LOW": {
        "zh-CN": "该服务需要更高级别的实名认证，请先完成认证",
        "en": "Higher identity assurance required",
    },
    "STAFF_ONLY": {"zh-CN": "仅限运营人员访问", "en": "Staff only"},
    "ROLE_FORBIDDEN": {"zh-CN": "您的角色无权进行此操作", "en": "Role not allowed"},
    "DEPARTMENT_OUT_OF_SCOPE": {
        "zh-CN": "您只能查看本部门的办件和数据",
        "en": "Outside your departments",
    },
    "PROVINCE_WIDE_ONLY": {
        "zh-CN": "该功能仅限全省范围的工作人员使用",
        "en": "Province-wide staff only",
    },
    "CREDENTIALS_INVALID": {"zh-CN": "用户名或密码错误", "en": "Invalid credentials"},
    "ACCOUNT_LOCKED": {"zh-CN": "登录失败次数过多，账号已临时锁定", "en": "Account locked"},
    "MFA_INVALID": {"zh-CN": "动态验证码错误", "en": "Invalid one-time code"},
    "SESSION_EXPIRED": {"zh-CN": "会话已超时，请重新登录", "en": "Session expired"},
    "CLIENT_INVALID": {"zh-CN": "应用认证失败", "en": "Client authentication failed"},
    "CLIENT_UNKNOWN": {"zh-CN": "该服务未接入统一身份认证", "en": "Unknown department app"},
    "TICKET_INVALID": {"zh-CN": "授权票据无效或已使用", "en": "Ticket invalid, used or expired"},
    "UNSUPPORTED_GRANT_TYPE": {"zh-CN": "不支持的授权类型", "en": "Unsupported grant type"},
    "MESSAGE_NOT_FOUND": {"zh-CN": "消息不存在", "en": "Message not found"},
    "FEE_NOTICE_NOT_FOUND": {"zh-CN": "未找到该缴款通知", "en": "Payment notice not found"},
    "PAYMENT_ORDER_NOT_FOUND": {"zh-CN": "未找到该缴费订单", "en": "Payment order not found"},
    "REFUND_NOT_FOUND": {"zh-CN": "未找到该退款", "en": "Refund not found"},
    "MISMATCH_NOT_FOUND": {"zh-CN": "未找到该对账差异", "en": "Mismatch not found"},
    "RECEIPT_NOT_READY": {"zh-CN": "电子票据正在开具，请稍后查看", "en": "Receipt not ready"},
    "FEE_NOTICE_PAID": {"zh-CN": "该费用已缴纳，无需重复缴费", "en": "Already paid"},
    "FEE_NOTICE_EXPIRED": {"zh-CN": "缴款通知已过期，请联系审批部门", "en": "Notice expired"},
    "PAYMENT_ORDER_OPEN": {
        "zh-CN": "该费用已在其他渠道发起支付，请在原渠道完成或稍后再试",
        "en": "An order is open on another channel",
    },
    "REFUND_NOT_ALLOWED": {"zh-CN": "该订单不能退款或退款金额超出", "en": "Refund not allowed"},
    "REFUND_STATE_CONFLICT": {"zh-CN": "该退款已处理", "en": "Refund already decided"},
    "SELF_APPROVAL_FORBIDDEN": {"zh-CN": "不能审批本人发起的申请", "en": "Self-approval forbidden"},
    "PAY_NOTIFICATION_REJECTED": {"zh-CN": "支付通知验签失败", "en": "Notification rejected"},
    "PAY_NOTIFICATION_MISMATCH": {"zh-CN": "支付通知与订单不符", "en": "Notification mismatch"},
    "PAYMENT_UNAVAILABLE": {"zh-CN": "支付服务暂不可用，请稍后再试", "en": "Payment unavailable"},
    "DECLARATION_NOT_FOUND": {"zh-CN": "未找到该申请", "en": "Declaration not found"},
    "MATERIAL_NOT_FOUND": {"zh-CN": "未找到该材料", "en": "Material not found"},
    "ITEM_NOT_ACCEPTING": {
        "zh-CN": "该事项暂停受理，请稍后再试",
        "en": "Item not accepting applications",
    },
    "DECLARATION_STATE_CONFLICT": {
        "zh-CN": "当前申请状态不允许此操作",
        "en": "Not allowed in this state",
    },
    "FORM_INVALID": {"zh-CN": "申请表填写有误，请检查后重试", "en": "Form invalid"},
    "MATERIALS_MISSING": {"zh-CN": "还有必需的申请材料未提供", "en": "Required materials missing"},
    "UNKNOWN_MATERIAL": {"zh-CN": "该事项不需要此材料", "en": "Unknown material"},
    "LICENCE_NOT_USABLE": {
        "zh-CN": "该电子证照不能用于此材料",
        "en": "Licence cannot satisfy this material",
    },
    "MATERIAL_NOT_USABLE": {
        "zh-CN": "材料库中没有这份材料，请重新上传",
        "en": "Material not in your library",
    },
    "IDEMPOTENCY_KEY_REUSED": {
        "zh-CN": "重复的提交请求内容不一致",
        "en": "Idempotency key reused",
    },
    "REAL_NAME_REQUIRED": {"zh-CN": "请先完成实名认证", "en": "Real-name binding required"},
    "CALLBACK_SIGNATURE_INVALID": {"zh-CN": "回调签名无效", "en": "Callback signature invalid"},
    "WECHAT_PUSH_SIGNATURE_INVALID": {
        "zh-CN": "消息推送签名无效",
        "en": "Message push signature invalid",
    },
    "WECHAT_NOT_BOUND": {"zh-CN": "请先使用微信登录", "en": "No WeChat identity bound"},
    "NOTICE_NOT_FOUND": {"zh-CN": "通知不存在", "en": "Notice not found"},
    "NOTICE_STATE_CONFLICT": {
        "zh-CN": "通知当前状态不允许此操作",
        "en": "Not allowed in this state",
    },
    "NOTICE_SMS_COST_CHANGED": {
        "zh-CN": "短信费用已变化，请核对最新费用后再批准",
        "en": "The SMS cost has changed; check it and approve again",
    },
    "NOTICE_SELF_APPROVAL": {
        "zh-CN": "不能审核自己起草的通知",
        "en": "Cannot approve your own notice",
    },
    "NOTICE_AUDIENCE_INVALID": {
        "zh-CN": "通知内容或发送对象有误",
        "en": "Notice content or audience invalid",
    },
    "ITEM_NOT_FOUND": {"zh-CN": "未找到该办事事项", "en": "Service item not found"},
    "INVALID_PAGE": {"zh-CN": "分页参数有误", "en": "Invalid paging parameters"},
    "UPLOAD_TOO_LARGE": {"zh-CN": "上传的文件超过大小限制", "en": "File too large"},
    "UPLOAD_TYPE_MISMATCH": {
        "zh-CN": "文件内容与文件类型不符，请检查后重新上传",
        "en": "File content does not match its type",
    },
    "UPLOAD_TYPE_NOT_ALLOWED": {
        "zh-CN": "不支持该文件格式，请上传允许的格式",
        "en": "File type not allowed",
    },
    "UPLOAD_EMPTY": {"zh-CN": "上传的文件为空", "en": "Empty file"},
    "UPLOAD_MALFORMED": {"zh-CN": "上传请求格式有误，请重新上传", "en": "Malformed upload"},
    "UPLOAD_DOCUMENT_INVALID": {
        "zh-CN": "文件已损坏或无法打开，请检查后重新上传",
        "en": "The document is damaged or cannot be opened",
    },
    "UPLOAD_FILE_NAME_REJECTED": {
        "zh-CN": "文件名不合法，请修改文件名后重新上传",
        "en": "File name rejected",
    },
    "DOWNLOAD_LINK_INVALID": {
        "zh-CN": "下载链接无效或已过期，请重新获取",
        "en": "Download link invalid or expired",
    },
    "OBJECT_NOT_FOUND": {"zh-CN": "文件不存在或已删除", "en": "File not found"},
    "LICENCE_NOT_FOUND": {"zh-CN": "未找到该电子证照", "en": "Licence not found"},
    "LICENCE_NOT_DISPLAYABLE": {
        "zh-CN": "该证照已失效、已注销或尚未核验，不能亮证",
        "en": "This licence cannot be shown",
    },
    "LICENCE_FILE_UNAVAILABLE": {
        "zh-CN": "该证照文件暂不可下载",
        "en": "Licence file not available",
    },
    "LICENCE_DISPLAY_UNAVAILABLE": {
        "zh-CN": "亮证服务暂不可用，请稍后再试",
        "en": "Licence display unavailable",
    },
    "DISPLAY_CODE_INVALID": {
        "zh-CN": "亮证码无效或已被篡改",
        "en": "Display code invalid",
    },
    "DISPLAY_CODE_EXPIRED": {
        "zh-CN": "亮证码已过期，请持证人重新亮证",
        "en": "Display code expired",
    },
    "CONSENT_NOT_FOUND": {"zh-CN": "未找到该授权记录", "en": "Consent not found"},
    # Wallet: what a licence's state means to its holder (status, then the reason it is invalid).
    "LICENCE_STATUS_PENDING": {"zh-CN": "核验中", "en": "Being verified"},
    "LICENCE_STATUS_VALID": {"zh-CN": "有效", "en": "Valid"},
    "LICENCE_STATUS_EXPIRED": {"zh-CN": "已过期", "en": "Expired"},
    "LICENCE_STATUS_REVOKED": {"zh-CN": "已注销", "en": "Revoked"},
    "LICENCE_STATUS_INVALID": {"zh-CN": "无效证照", "en": "Invalid"},
    "SIGNATURE_INVALID": {
        "zh-CN": "签发机关电子印章（签名）验证失败",
        "en": "The issuer's signature does not verify",
    },
    "ISSUER_KEY_UNKNOWN": {"zh-CN": "签发机关印章未知", "en": "Unknown issuer seal"},
    "NUMBER_MALFORMED": {"zh-CN": "证照编号格式错误", "en": "Malformed licence number"},
    "NUMBER_MISMATCH": {"zh-CN": "证照编号与证照信息不符", "en": "Licence number mismatch"},
    "NUMBER_CHECK_FAILED": {"zh-CN": "证照编号校验位错误", "en": "Licence number check failed"},
    "ISSUER_CODE_INVALID": {
        "zh-CN": "签发机关统一社会信用代码校验失败",
        "en": "Issuer credit code invalid",
    },
    "HOLDER_MISMATCH": {"zh-CN": "持证人与本人不符", "en": "Holder is not this citizen"},
    "DOCUMENT_MALFORMED": {"zh-CN": "证照数据格式错误", "en": "Malformed licence document"},
    "NOT_IN_LIBRARY": {"zh-CN": "电子证照库中无此证照", "en": "Not in the licence library"},
    "LICENCE_CONSENT_REQUIRED": {
        "zh-CN": "该证照的使用授权已撤销，请重新选择证照",
        "en": "Consent to use the licence is missing",
    },
    "DEPARTMENT_TOKEN_INVALID": {
        "zh-CN": "部门应用访问凭证无效",
        "en": "Department app token invalid",
    },
    "REVIEW_NOT_FINISHED": {
        "zh-CN": "事项办结后才能评价",
        "en": "Only a finished matter can be rated",
    },
    "REVIEW_ALREADY_GIVEN": {
        "zh-CN": "您已在此渠道评价过该事项",
        "en": "Already rated on this channel",
    },
    "REVIEW_TAG_UNKNOWN": {"zh-CN": "评价标签不存在", "en": "Unknown review tag"},
    "HALL_NOT_FOUND": {"zh-CN": "未找到该政务服务大厅", "en": "Service hall not found"},
    "HALL_ITEM_NOT_SERVED": {
        "zh-CN": "该大厅不办理此事项",
        "en": "The hall does not serve this item",
    },
    "APPOINTMENT_NOT_FOUND": {"zh-CN": "未找到该预约", "en": "Appointment not found"},
    "APPOINTMENT_SLOT_UNAVAILABLE": {
        "zh-CN": "该时段不可预约（大厅休息、已过时或超出可预约范围）",
        "en": "This time slot cannot be booked",
    },
    "APPOINTMENT_SLOT_FULL": {
        "zh-CN": "该时段已约满，请选择其他时段",
        "en": "This time slot is fully booked",
    },
    "APPOINTMENT_ALREADY_BOOKED": {
        "zh-CN": "您已预约该时段，无需重复预约",
        "en": "You have booked this slot already",
    },
    "APPOINTMENT_LIMIT_REACHED": {
        "zh-CN": "您的未完成预约已达上限，请先办理或取消已有预约",
        "en": "Too many open appointments",
    },
    "APPOINTMENT_PAUSED": {
        "zh-CN": "因多次预约未到，预约功能暂停使用",
        "en": "Booking paused after repeated no-shows",
    },
    "APPOINTMENT_CANCEL_TOO_LATE": {
        "zh-CN": "已过可取消时间，无法取消该预约",
        "en": "Too late to cancel",
    },
    "APPOINTMENT_NOT_CANCELLABLE": {
        "zh-CN": "该预约当前状态不可取消",
        "en": "This appointment cannot be cancelled",
    },
    "APPOINTMENT_DECLARATION_NOT_USABLE": {
        "zh-CN": "所选申报不是您本事项的草稿，无法随预约提交",
        "en": "The declaration is not your draft for this item",
    },
    "REVIEW_TICKET_NOT_FOUND": {"zh-CN": "未找到该差评整改工单", "en": "Ticket not found"},
    "CALENDAR_NOTICE_INVALID": {
        "zh-CN": "节假日安排文件有误，请按说明修改后重新导入",
        "en": "Invalid holiday notice",
    },
    "LICENCE_NO_LONGER_VALID": {
        "zh-CN": "所选电子证照已注销或过期，请更换材料后再提交",
        "en": "Licence no longer valid",
    },
    "LICENCE_VERIFICATIONS_LIMITED": {
        "zh-CN": "核验过于频繁，请稍后再试",
        "en": "Too many verifications",
    },
    "HOTLINE_TICKET_NOT_FOUND": {"zh-CN": "未找到该咨询投诉工单", "en": "Hotline ticket not found"},
    "HOTLINE_SUBJECT_UNKNOWN": {
        "zh-CN": "所选事项、部门或办件不存在",
        "en": "The item, department or declaration named does not exist",
    },
    "HOTLINE_TEXT_BLANK": {
        "zh-CN": "请填写标题和内容",
        "en": "Title and content must not be blank",
    },
    "HOTLINE_SUBJECT_AMBIGUOUS": {
        "zh-CN": "事项、部门和办件只能选择其一",
        "en": "Name at most one of item, department and declaration",
    },
    "HOTLINE_NO_RECTIFICATION": {
        "zh-CN": "该办件没有差评整改记录，无法就整改情况投诉",
        "en": "No bad-review rectification on this declaration",
    },
    "HOTLINE_NOT_REPLIED": {"zh-CN": "工单尚未答复，答复后才能评价", "en": "Not replied yet"},
    "HOTLINE_ALREADY_RATED": {"zh-CN": "您已评价过该答复", "en": "Already rated"},
    "REVIEW_NO_PHONE_NUMBER": {"zh-CN": "该群众未留存手机号码", "en": "No phone number on file"},
    "REVIEW_TICKET_STATE_CONFLICT": {
        "zh-CN": "工单当前状态不允许此操作",
        "en": "Not allowed in this ticket state",
    },
    "REVIEW_APPEAL_SELF_DECISION": {
        "zh-CN": "不能审核自己提出的申诉",
        "en": "Cannot decide your own appeal",
    },
    "QUEUE_BOOKING_NOT_FOUND": {"zh-CN": "未找到该预约", "en": "Booking not found"},
    "QUEUE_BOOKING_NOT_OPEN": {
        "zh-CN": "该预约已取消或已结束，无法取号",
        "en": "The booking is cancelled or over",
    },
    "QUEUE_OUTSIDE_SLOT": {
        "zh-CN": "请在预约时段内到达大厅后取号",
        "en": "Numbers are taken on arrival within the booked slot",
    },
    "QUEUE_TOO_FAR": {
        "zh-CN": "您当前不在大厅附近，请到达后取号或扫描大厅二维码",
        "en": "You are not at the hall",
    },
    "QUEUE_HALL_LOCATION_UNKNOWN": {
        "zh-CN": "该大厅暂不支持定位取号，请扫描大厅二维码",
        "en": "The hall has no location: scan its QR code",
    },
    "QUEUE_QR_INVALID": {
        "zh-CN": "无法识别的大厅二维码",
        "en": "Not a hall QR code",
    },
    "QUEUE_WRONG_HALL": {
        "zh-CN": "该二维码不属于您预约的大厅",
        "en": "The QR code is another hall's",
    },
    "QUEUE_TICKET_NOT_FOUND": {"zh-CN": "未找到该排队号", "en": "Queue number not found"},
    "QUEUE_NOT_COMPLETED": {
        "zh-CN": "窗口办结后才能评价",
        "en": "The window has not completed the visit",
    },
    "QUEUE_NOTHING_TO_RATE": {
        "zh-CN": "本次预约未关联申请，请在大厅评价器上评价",
        "en": "The booking carries no declaration to rate",
    },
    "QUEUE_QR_NOT_CONFIGURED": {
        "zh-CN": "大厅二维码尚未配置",
        "en": "Hall QR codes are not configured",
    },
    # --- parties and acting as (docs/acting-as.md) ---
    "ACTING_AS_INVALID": {"zh-CN": "办理身份参数有误", "en": "X-Acting-As is not a party id"},
    "ACTING_AS_NOT_ALLOWED": {
        "zh-CN": "该操作只能以本人身份办理，请切换回本人",
        "en": "This route acts for the signed-in person only",
    },
    "ACTING_AS_FORBIDDEN": {
        "zh-CN": "您未获得该主体的授权，不能代其办理",
        "en": "Not authorised to act for that party",
    },
    "MANDATE_REVOKED": {
        "zh-CN": "您的办理授权已被撤销，请联系授权人",
        "en": "The authorisation to act was revoked",
    },
    "MANDATE_EXPIRED": {
        "zh-CN": "您的办理授权不在有效期内，请联系授权人",
        "en": "The authorisation to act is not valid now",
    },
    "ITEM_NOT_IN_MANDATE": {
        "zh-CN": "该事项不在您获得的授权范围内",
        "en": "The item is outside the authorisation",
    },
    "APPLICANT_TYPE_REFUSED": {
        "zh-CN": "该事项不面向当前办理主体类型（个人/法人），请切换身份或选择其他事项",
        "en": "The item is not for this kind of applicant",
    },
    "USCC_INVALID": {
        "zh-CN": "统一社会信用代码格式或校验位有误",
        "en": "Invalid unified social credit code",
    },
    "PARTY_REPRESENTATIVE_ONLY": {
        "zh-CN": "仅企业法定代表人可以管理经办人授权",
        "en": "Only the legal representative manages agents",
    },
    "PARTY_NOT_FOUND": {"zh-CN": "未找到该办理主体", "en": "Party not found"},
    "MANDATE_NOT_FOUND": {"zh-CN": "未找到该授权", "en": "Authorisation not found"},
    "PARTY_REAL_NAME_REQUIRED": {
        "zh-CN": "请先通过统一身份认证完成实名认证",
        "en": "Real name through the platform required",
    },
    "PARTY_AGENT_REJECTED": {
        "zh-CN": "经办人身份信息核验未通过，请检查姓名与身份证号",
        "en": "The platform refused the agent",
    },
}


def negotiate(accept_language: str | None) -> str:
    """Pick a supported locale from an Accept-Language header; Chinese unless asked otherwise."""
    if not accept_language:
        return DEFAULT_LOCALE
    for part in accept_language.split(","):
        tag = part.split(";", 1)[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def text(key: str, locale: str = DEFAULT_LOCALE) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry.get(locale) or entry[DEFAULT_LOCALE]
