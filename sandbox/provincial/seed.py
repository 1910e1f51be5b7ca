"""Seed catalogue of the fictional province 西岭省 (region code 620000).

Every item carries a complete service guide (办事指南, Art. 16 of the online service rules).
Item codes follow the implementation-code layout: the implementing body's unified social credit
code (GB 32100, with valid check characters) + item type + 5-digit main item + 3-digit sub-item,
e.g. ``11620000013900019U-GG-00101-001``. Codes are stable: the same seed always yields the same
codes, so tests and fixtures may keep them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sandbox.provincial.models import (
    Bundle,
    CaseType,
    Complaint,
    Consultation,
    Department,
    Faq,
    Fee,
    FeeItem,
    FieldType,
    FormField,
    Item,
    ItemStatus,
    ItemType,
    Licence,
    Link,
    Material,
    OnlineLevel,
    ProcessStep,
    Target,
)

PORTAL = "https://zwfw.xiling.example"

# --------------------------------------------------------------------------------------------
# Unified social credit codes (GB 32100-2015) with their organisation-code check (GB 11714).

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_check(body: str) -> str:
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc(registration: str, region: str, org_body: str) -> str:
    """Build an 18-character unified social credit code with valid check characters."""
    first17 = registration + region + org_body + _org_check(org_body)
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return first17 + _USCC_ALPHABET[(31 - total % 31) % 31]


# --------------------------------------------------------------------------------------------
# Regions and departments.

PROVINCE = ("620000", "西岭省")
JINCHENG = ("620100", "西岭省金城市")
YONGFENG = ("620300", "西岭省永丰市")
YONGCHANG = ("620321", "西岭省永丰市永昌县")
HEYUAN = ("623100", "西岭省河源州")


@dataclass(frozen=True)
class _Dept:
    name: str
    region: tuple[str, str]
    serial: int
    phone: str
    address: str
    complaint: str
    registration: str = "11"

    @property
    def code(self) -> str:
        return uscc(self.registration, self.region[0], f"0139{self.serial:04d}")

    def wire(self) -> Department:
        return Department(code=self.code, name=self.name)


GAT = _Dept(
    "西岭省公安厅", PROVINCE, 1, "0931-8120110", "金城市城关区南昌路 110 号", "0931-8120000"
)
JC_GA = _Dept(
    "金城市公安局", JINCHENG, 11, "0931-8551110", "金城市城关区武都路 350 号", "0931-8551000"
)
JC_CRJ = _Dept(
    "金城市公安局出入境管理支队",
    JINCHENG,
    12,
    "0931-8552233",
    "金城市城关区白银路 42 号出入境服务大厅",
    "0931-8552200",
)
YC_GA = _Dept(
    "永昌县公安局", YONGCHANG, 31, "0935-7521110", "永昌县城关镇北海子路 8 号", "0935-7521000"
)
RST = _Dept(
    "西岭省人力资源和社会保障厅",
    PROVINCE,
    2,
    "0931-12333",
    "金城市城关区庆阳路 279 号",
    "0931-8928000",
)
JC_RS = _Dept(
    "金城市人力资源和社会保障局",
    JINCHENG,
    13,
    "0931-8481233",
    "金城市城关区雁滩路 2518 号市民之家 2 楼",
    "0931-8481200",
)
MZT = _Dept(
    "西岭省民政厅", PROVINCE, 3, "0931-8826611", "金城市城关区北滨河东路 1 号", "0931-8826600"
)
JC_MZ = _Dept(
    "金城市民政局", JINCHENG, 14, "0931-8731902", "金城市城关区东岗西路 638 号", "0931-8731900"
)
YC_MZ = _Dept(
    "永昌县民政局", YONGCHANG, 32, "0935-7522290", "永昌县城关镇金川西路 21 号", "0935-7522200"
)
JC_GJJ = _Dept(
    "金城住房公积金管理中心",
    JINCHENG,
    15,
    "0931-12329",
    "金城市城关区甘南路 700 号",
    "0931-8815000",
    registration="12",
)
YF_GJJ = _Dept(
    "永丰市住房公积金管理中心",
    YONGFENG,
    21,
    "0935-12329",
    "永丰市金川区新华东路 66 号",
    "0935-8215000",
    registration="12",
)
SCJ = _Dept(
    "西岭省市场监督管理局",
    PROVINCE,
    4,
    "0931-8830315",
    "金城市七里河区西津东路 36 号",
    "0931-12315",
)
JC_SCJ = _Dept(
    "金城市市场监督管理局",
    JINCHENG,
    16,
    "0931-8412315",
    "金城市城关区雁滩路 2518 号市民之家 3 楼",
    "0931-12315",
)
YC_SCJ = _Dept(
    "永昌县市场监督管理局",
    YONGCHANG,
    33,
    "0935-7512315",
    "永昌县城关镇东大街 15 号",
    "0935-12315",
)
WJW = _Dept(
    "西岭省卫生健康委员会", PROVINCE, 5, "0931-4818120", "金城市城关区白银路 220 号", "0931-4818000"
)
JC_WJW = _Dept(
    "金城市卫生健康委员会", JINCHENG, 17, "0931-8468120", "金城市城关区酒泉路 5 号", "0931-8468000"
)
JYT = _Dept(
    "西岭省教育厅", PROVINCE, 6, "0931-8960580", "金城市城关区金昌南路 1 号", "0931-8960500"
)
JTT = _Dept(
    "西岭省交通运输厅", PROVINCE, 7, "0931-8812345", "金城市城关区东岗西路 131 号", "0931-12328"
)
SWJ = _Dept(
    "国家税务总局西岭省税务局",
    PROVINCE,
    8,
    "12366",
    "金城市城关区东岗东路 1580 号",
    "0931-8867000",
)
JC_BDC = _Dept(
    "金城市不动产登记中心",
    JINCHENG,
    18,
    "0931-8770126",
    "金城市城关区天水北路 222 号",
    "0931-8770100",
    registration="12",
)
YBJ = _Dept(
    "西岭省医疗保障局", PROVINCE, 9, "0931-12393", "金城市城关区广场南路 4 号", "0931-8516000"
)
JC_YB = _Dept(
    "金城市医疗保障局",
    JINCHENG,
    19,
    "0931-8853393",
    "金城市城关区雁滩路 2518 号市民之家 2 楼",
    "0931-8853300",
)
CL = _Dept(
    "西岭省残疾人联合会",
    PROVINCE,
    10,
    "0931-8920012",
    "金城市城关区静宁路 59 号",
    "0931-8920000",
    registration="13",
)
JC_ZWFW = _Dept(
    "金城市政务服务中心",
    JINCHENG,
    20,
    "0931-12345",
    "金城市城关区雁滩路 2518 号市民之家 1 楼",
    "0931-8867345",
    registration="12",
)
HY_ZWFW = _Dept(
    "河源州政务服务中心", HEYUAN, 41, "0930-12345", "河源州临河市团结路 18 号", "0930-6212345"
)

# --------------------------------------------------------------------------------------------
# Material builders. Each returns a material without its code; the item builder numbers them.

IMG = ["jpg", "png", "pdf"]
DOC = ["pdf", "ofd", "jpg", "png"]


@dataclass(frozen=True)
class _M:
    name: str
    notes: str
    required: bool = True
    tolerance: bool = False
    formats: tuple[str, ...] = ("jpg", "png", "pdf")
    max_kb: int = 2048
    licences: tuple[str, ...] = ()


def m(
    name: str,
    notes: str,
    *,
    required: bool = True,
    tolerance: bool = False,
    formats: list[str] | None = None,
    max_kb: int = 2048,
    licences: tuple[str, ...] = (),
) -> _M:
    return _M(name, notes, required, tolerance, tuple(formats or IMG), max_kb, licences)


def id_card(who: str = "申请人") -> _M:
    return m(
        f"{who}居民身份证",
        f"{who}有效期内的居民身份证正反面；已在平台实名认证或关联电子身份证照的可免于提交。",
        licences=("SFZ",),
    )


def hukou(who: str = "申请人") -> _M:
    return m(
        f"{who}居民户口簿",
        f"{who}户口簿首页及本人页；可通过电子户口簿共享获取，免于提交。",
        licences=("HKB",),
    )


def photo(spec: str) -> _M:
    return m("证件照片", spec, formats=["jpg", "png"], max_kb=500)


def business_licence() -> _M:
    return m(
        "营业执照",
        "申请主体有效的营业执照；已关联电子营业执照的免于提交。",
        licences=("YYZZ",),
    )


def agent_letter() -> _M:
    return m(
        "委托书及受托人居民身份证",
        "委托他人代为办理时提供，委托书须由委托人签字；本人办理的无需提供。",
        required=False,
        licences=("SFZ",),
    )


def bank_card() -> _M:
    return m(
        "本人银行卡或社会保障卡（金融账户）",
        "用于发放待遇或提取资金，须为申请人本人名下的一类借记账户。",
        licences=("SBK",),
    )


# --------------------------------------------------------------------------------------------
# Guide part builders.


def steps(*rows: tuple[str, str, int]) -> list[ProcessStep]:
    return [
        ProcessStep(step=i, name=name, description=desc, limit_days=days)
        for i, (name, desc, days) in enumerate(rows, start=1)
    ]


def free(basis: str) -> Fee:
    return Fee(charged=False, basis=basis, items=[])


def charged(basis: str, *items: tuple[str, int]) -> Fee:
    return Fee(
        charged=True,
        basis=basis,
        items=[FeeItem(name=name, amount_fen=amount) for name, amount in items],
    )


def faqs(*rows: tuple[str, str]) -> list[Faq]:
    return [Faq(question=q, answer=a) for q, a in rows]


# --------------------------------------------------------------------------------------------
# Application form (一表申请) builders. Every form ends with the common fields.

DELIVERY_METHODS = ("窗口领取", "邮寄送达", "电子证照")


def _field(
    key: str,
    label: str,
    kind: FieldType,
    *,
    required: bool,
    max_length: int = 200,
    options: tuple[str, ...] = (),
    prefill: str | None = None,
) -> FormField:
    return FormField(
        key=key,
        label=label,
        type=kind,
        required=required,
        max_length=max_length,
        options=list(options),
        prefill=f"licence:{prefill}" if prefill else None,
    )


def _text(
    key: str,
    label: str,
    *,
    required: bool = False,
    max_length: int = 200,
    prefill: str | None = None,
) -> FormField:
    """A one-line text; ``prefill`` is an e-licence type code (never a personal ID document)."""
    return _field(key, label, "text", required=required, max_length=max_length, prefill=prefill)


def _textarea(key: str, label: str, *, required: bool = False, max_length: int = 200) -> FormField:
    return _field(key, label, "textarea", required=required, max_length=max_length)


def _select(key: str, label: str, *options: str, required: bool = True) -> FormField:
    return _field(key, label, "select", required=required, options=options)


def _date(key: str, label: str, *, required: bool = True) -> FormField:
    """A date, filled in as ``YYYY-MM-DD``."""
    return _field(key, label, "date", required=required)


def _number(key: str, label: str, *, required: bool = True) -> FormField:
    return _field(key, label, "number", required=required)


def _common_fields() -> list[FormField]:
    """The fields every item's form has: the reason and how the result is delivered."""
    return [
        _textarea("reason", "申请事由", required=True, max_length=500),
        _select("deliveryMethod", "结果领取方式", *DELIVERY_METHODS),
    ]


def _form(*specific: FormField) -> list[FormField]:
    """An item's form: its own fields, then the common ones."""
    return [*specific, *_common_fields()]


_SEED_EPOCH = dt.datetime(2025, 11, 3, 8, 0, tzinfo=dt.UTC)


@dataclass
class _Catalogue:
    items: list[Item] = field(default_factory=list)

    def add(
        self,
        dept: _Dept,
        item_type: ItemType,
        main: int,
        sub: int,
        name: str,
        *,
        themes: list[str],
        legal: list[str],
        conditions: list[str],
        materials: list[_M],
        process: list[ProcessStep],
        fee: Fee,
        result_type: str,
        result_name: str,
        faq: list[Faq],
        form: str,
        fields: list[FormField],
        templates: list[str],
        volume: int,
        targets: list[Target] | None = None,
        case: CaseType = "promised",
        online: OnlineLevel = "online_prereview",
        visits: int = 1,
        statutory: int = 20,
        promised: int = 10,
        licence: tuple[str, str] | None = None,
        bundle: list[str] | None = None,
        status: ItemStatus = "active",
        reason: str | None = None,
    ) -> str:
        code = f"{dept.code}-{item_type}-{main:05d}-{sub:03d}"
        index = len(self.items)
        updated = _SEED_EPOCH + dt.timedelta(days=index * 2, hours=(index * 5) % 9)
        self.items.append(
            Item(
                code=code,
                name=name,
                item_type=item_type,
                department=dept.wire(),
                region_code=dept.region[0],
                region_name=dept.region[1],
                themes=themes,
                targets=targets or ["person"],
                case_type=case,
                online_level=online,
                visits_required=visits,
                statutory_limit_days=statutory,
                promised_limit_days=promised,
                legal_basis=legal,
                acceptance_conditions=conditions,
                materials=[
                    Material(
                        code=f"CL{main:05d}{sub:03d}-{n:02d}",
                        name=mat.name,
                        required=mat.required,
                        tolerance=mat.tolerance,
                        formats=list(mat.formats),
                        max_size_kb=mat.max_kb,
                        licence_types=list(mat.licences),
                        notes=mat.notes,
                    )
                    for n, mat in enumerate(materials, start=1)
                ],
                process=process,
                fee=fee,
                result_type=result_type,
                result_sample=Link(
                    name=f"{result_name}（样本）", url=f"{PORTAL}/samples/{code}.pdf"
                ),
                consultation=Consultation(phone=dept.phone, address=dept.address),
                complaint=Complaint(phone=dept.complaint),
                faq=faq,
                form_instructions=form,
                form=fields,
                templates=[
                    Link(name=t, url=f"{PORTAL}/templates/{code}/{n:02d}.docx")
                    for n, t in enumerate(templates, start=1)
                ],
                issues_licence=(
                    Licence(type_code=licence[0], name=licence[1]) if licence else None
                ),
                bundle=Bundle(members=bundle) if bundle else None,
                status=status,
                status_reason=reason,
                annual_volume=volume,
                version=1 + index % 3,
                updated_at=updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        )
        return code


# --------------------------------------------------------------------------------------------
# The catalogue.

_ID_LAW = "《中华人民共和国居民身份证法》第八条、第十一条"
_HUKOU_LAW = "《中华人民共和国户口登记条例》"
_SI_LAW = "《中华人民共和国社会保险法》"
_GJJ_LAW = "《住房公积金管理条例》（国务院令第 350 号）"


def _public_security(c: _Catalogue) -> dict[str, str]:
    codes: dict[str, str] = {}
    codes["id_renew"] = c.add(
        JC_GA,
        "GG",
        101,
        1,
        "居民身份证换领",
        themes=["户籍办理"],
        online="in_hall",
        visits=1,
        statutory=60,
        promised=20,
        legal=[_ID_LAW, "《居民身份证换领补领规定》"],
        conditions=[
            "本市户籍居民，居民身份证有效期届满前三个月内或已过期",
            "证件登记项目（姓名、民族、出生日期等）发生变更的",
            "证件严重损坏不能辨认的",
        ],
        materials=[
            m("原居民身份证", "需交回原证；有效期届满的居民身份证原件。", licences=("SFZ",)),
            hukou(),
            photo(
                "可在平台上传符合《居民身份证制证用数字相片技术标准》的回执照片，或到窗口现场采集。"
            ),
        ],
        process=steps(
            ("网上预约", "通过平台选择户籍所在地派出所及办理时段，上传回执照片进行预审。", 0),
            ("窗口受理", "到派出所窗口核验身份、采集指纹并交回旧证。", 0),
            ("审核制证", "户籍所在地公安机关审核后报省公安厅制证中心制作新证。", 15),
            ("领取证件", "凭领证回执到派出所领取，或选择邮政速递送达。", 5),
        ),
        fee=charged(
            "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》"
            "（发改价格〔2003〕2322号）：换领居民身份证每证 20 元；选择邮寄的邮费由申请人承担。",
            ("居民身份证工本费（换领）", 2000),
        ),
        result_type="证件",
        result_name="中华人民共和国居民身份证",
        faq=faqs(
            ("身份证快到期了，可以提前多久换领？", "有效期届满前三个月内即可申请换领。"),
            ("换领期间需要用证怎么办？", "可同时申领临时居民身份证，或使用电子身份证照。"),
        ),
        form="填写《居民身份证申领登记表》时，姓名、公民身份号码须与户口簿一致；联系电话用于领证通知。",
        fields=_form(
            _select("renewReason", "换领原因", "有效期满换领", "登记项目变更", "证件损坏"),
            _text("pickupStation", "领证派出所", required=True, max_length=50),
        ),
        templates=["居民身份证申领登记表", "邮寄送达委托书"],
        volume=186000,
        licence=("SFZ", "居民身份证"),
    )
    codes["id_reissue"] = c.add(
        JC_GA,
        "GG",
        101,
        2,
        "居民身份证补领（丢失补领）",
        themes=["户籍办理"],
        online="online_prereview",
        visits=1,
        statutory=60,
        promised=20,
        legal=[_ID_LAW, "《居民身份证换领补领规定》第六条"],
        conditions=[
            "本市户籍居民，居民身份证丢失或被盗",
            "已在平台或派出所办理身份证挂失申报",
        ],
        materials=[
            hukou(),
            m("挂失申报回执", "居民身份证挂失申报后系统出具的回执编号或截图。"),
            photo("近期免冠白底彩色数码照片，358×441 像素，JPG 格式。"),
        ],
        process=steps(
            ("挂失申报", "在平台提交身份证挂失，原证即时作废，防止冒用。", 0),
            ("网上预审", "上传照片并确认户籍信息，派出所在 1 个工作日内完成预审。", 1),
            ("窗口采集", "到派出所核验身份、采集指纹（补领须本人到场）。", 0),
            ("制证发证", "省制证中心制证后送达派出所或邮寄给申请人。", 19),
        ),
        fee=charged(
            "发改价格〔2003〕2322号：丢失补领或损坏换领居民身份证每证 40 元；"
            "城乡居民最低生活保障对象凭证明减免。",
            ("居民身份证工本费（丢失补领）", 4000),
        ),
        result_type="证件",
        result_name="中华人民共和国居民身份证",
        faq=faqs(
            ("补领身份证必须本人到场吗？", "需要。补领时须本人到派出所采集指纹和人像。"),
            ("丢失后找回了原证还能用吗？", "挂失后原证已作废，不能继续使用，请交回派出所。"),
        ),
        form="《居民身份证申领登记表》中“申领原因”选择“丢失补领”，并填写挂失回执编号。",
        fields=_form(
            _date("lossDate", "丢失日期"),
            _text("lossPlace", "丢失地点", max_length=100),
            _text("lossReportNumber", "挂失回执编号", required=True, max_length=30),
        ),
        templates=["居民身份证申领登记表", "居民身份证挂失申报表"],
        volume=74000,
        licence=("SFZ", "居民身份证"),
    )
    codes["hukou_move"] = c.add(
        GAT,
        "XK",
        102,
        1,
        "户口迁移（省内跨市迁入）",
        themes=["户籍办理"],
        online="full_online",
        visits=0,
        statutory=30,
        promised=5,
        legal=[_HUKOU_LAW + "第十条", "《西岭省户籍管理若干规定》第十二条"],
        conditions=[
            "在迁入地有合法稳定住所（含租赁）或合法稳定就业",
            "迁出地与迁入地均在本省范围内",
            "非在押、非被采取刑事强制措施人员",
        ],
        materials=[
            id_card(),
            hukou("迁入地户主"),
            m(
                "合法稳定住所证明",
                "不动产权证书或经备案的房屋租赁合同；已关联电子不动产权证书的免于提交。",
                licences=("BDCQZS",),
            ),
            m(
                "户主同意落户声明",
                "投靠他人落户的，由户主签字同意；本人房产落户的无需提供。",
                required=False,
                tolerance=True,
            ),
        ],
        process=steps(
            ("在线申请", "在平台填写迁入地址并上传住所证明。", 0),
            ("迁入地审核", "迁入地派出所审核住所与就业条件，必要时电话核实。", 3),
            ("跨市联办", "审核通过后系统自动通知迁出地办理迁出，无需再回迁出地。", 1),
            ("办结", "迁入地落户，电子户口簿同步更新，纸质户口簿可邮寄。", 1),
        ),
        fee=free("依据《户口登记条例》，户口迁移登记不收取费用。"),
        result_type="审批结果",
        result_name="户口迁移审批表及更新后的居民户口簿",
        faq=faqs(
            ("还需要回老家开准迁证吗？", "不需要。省内跨市迁移实行“一站式”办理，迁入地直接办结。"),
            ("租房可以落户吗？", "持经住建部门备案的租赁合同且连续居住满半年的，可在居住地落户。"),
        ),
        form="迁入地址须精确到门牌号；与户主关系按实际情况填写，填写“其他”的须补充说明。",
        fields=_form(
            _text("fromAddress", "迁出地户口所在地", required=True, max_length=100),
            _text("toAddress", "迁入地址", required=True, max_length=100),
            _select("relationToHead", "与户主关系", "本人", "配偶", "子女", "父母", "其他"),
        ),
        templates=["户口迁移申请表", "户主同意落户声明书"],
        volume=52000,
    )
    codes["hk_macau"] = c.add(
        JC_CRJ,
        "XK",
        103,
        1,
        "往来港澳通行证及签注签发",
        themes=["出入境"],
        online="online_prereview",
        visits=1,
        statutory=20,
        promised=7,
        legal=[
            "《中国公民因私事往来香港地区或者澳门地区的暂行管理办法》第七条",
            "《国家移民管理局关于实施便民利企出入境管理措施的公告》",
        ],
        conditions=[
            "中国内地居民，持有效居民身份证（全国通办，不受户籍地限制）",
            "无法律规定不准出境的情形",
        ],
        materials=[
            id_card(),
            photo("出入境证件数码照片，须由具备资质的照相馆采集并出具回执，或窗口免费拍摄。"),
            m(
                "未成年人监护关系证明",
                "申请人未满 16 周岁的，须由监护人陪同并提供出生医学证明或户口簿。",
                required=False,
                licences=("CSYXZM", "HKB"),
            ),
        ],
        process=steps(
            ("网上预约", "选择出入境服务大厅及时段，填写申请表。", 0),
            ("窗口受理", "核验身份、采集指纹、缴费。", 0),
            ("审批制证", "公安机关出入境管理部门审批并制作证件。", 6),
            ("领取证件", "自助机领取或选择邮政速递送达。", 1),
        ),
        fee=charged(
            "《国家发展改革委 财政部关于降低因私普通护照等出入境证件收费标准的通知》"
            "（发改价格〔2019〕914号）：往来港澳通行证（电子）每证 60 元；"
            "赴港澳团队旅游签注、个人旅游签注每次 15 元。",
            ("往来港澳通行证（电子）", 6000),
            ("个人旅游签注（一次有效）", 1500),
        ),
        result_type="证件",
        result_name="往来港澳通行证",
        faq=faqs(
            ("可以在非户籍地办理吗？", "可以，内地居民可在全国任一出入境管理部门办理。"),
            ("再次签注需要到窗口吗？", "持电子通行证的可在自助签注机或平台办理再次签注。"),
        ),
        form="申请表中紧急联系人须为境内常住人员；签注种类按实际出行目的选择。",
        fields=_form(
            _select("destination", "前往地", "香港", "澳门", "香港和澳门"),
            _select(
                "endorsementType",
                "签注种类",
                "团队旅游（L）",
                "个人旅游（G）",
                "探亲（T）",
                "商务（S）",
                "其他（Q）",
            ),
            _text("emergencyContact", "紧急联系人", required=True, max_length=20),
            _text("emergencyPhone", "紧急联系人电话", required=True, max_length=20),
        ),
        templates=["中国公民出入境证件申请表"],
        volume=98000,
    )
    codes["passport"] = c.add(
        JC_CRJ,
        "XK",
        103,
        2,
        "普通护照签发",
        themes=["出入境"],
        online="online_prereview",
        visits=1,
        statutory=15,
        promised=7,
        legal=["《中华人民共和国护照法》第五条、第六条", "《中华人民共和国出境入境管理法》"],
        conditions=["中国公民因前往外国定居、探亲、学习、就业、旅行、从事商务活动等非公务原因出国"],
        materials=[
            id_card(),
            photo("护照数码照片，白色背景、不戴帽子，须为近 6 个月内拍摄。"),
            m(
                "国家工作人员出国（境）审批意见",
                "申请人为登记备案的国家工作人员时提供，由所在单位人事部门出具。",
                required=False,
            ),
        ],
        process=steps(
            ("网上预约", "预约受理时段并在线填写申请表。", 0),
            ("窗口受理", "核验身份、采集指纹和照片、缴费。", 0),
            ("审批制证", "审批通过后制作护照。", 6),
            ("领取", "窗口或自助机领取，可选择邮寄。", 1),
        ),
        fee=charged(
            "发改价格〔2019〕914号：普通护照每本 120 元。",
            ("普通护照", 12000),
        ),
        result_type="证件",
        result_name="中华人民共和国普通护照",
        faq=faqs(
            (
                "护照还有有效期但页数用完了怎么办？",
                "可申请换发，原护照有效签证可继续随旧护照使用。",
            ),
        ),
        form="“出境事由”按本次主要目的选择；曾用名须完整填写。",
        fields=_form(
            _select("exitPurpose", "出境事由", "旅游", "探亲访友", "商务", "留学", "工作", "其他"),
            _text("formerNames", "曾用名", max_length=50),
            _date("plannedDepartureDate", "预计出境日期", required=False),
        ),
        templates=["中国公民出入境证件申请表"],
        volume=61000,
    )
    codes["birth_hukou"] = c.add(
        JC_GA,
        "GG",
        104,
        1,
        "出生登记（新生儿落户）",
        themes=["户籍办理", "婚姻生育"],
        online="full_online",
        visits=0,
        statutory=30,
        promised=3,
        legal=[_HUKOU_LAW + "第七条", "《国务院办公厅关于解决无户口人员登记户口问题的意见》"],
        conditions=[
            "新生儿出生后一个月内申报（逾期可补办）",
            "父母一方为本市户籍，随父或随母落户",
        ],
        materials=[
            m(
                "出生医学证明",
                "新生儿的出生医学证明；已签发电子出生医学证明的免于提交。",
                licences=("CSYXZM",),
            ),
            id_card("父母双方"),
            hukou("落户方"),
            m(
                "结婚证",
                "父母的结婚证；非婚生育的可提供亲子鉴定证明替代。",
                required=False,
                tolerance=True,
                licences=("JHZ",),
            ),
        ],
        process=steps(
            ("在线申报", "监护人在平台填写新生儿姓名、落户地址。", 0),
            ("派出所审核", "派出所核对出生医学证明信息与父母户籍信息。", 2),
            ("登记办结", "完成户口登记，分配公民身份号码，电子户口簿同步更新。", 1),
        ),
        fee=free("依据《户口登记条例》，出生登记不收取费用。"),
        result_type="户口登记",
        result_name="居民户口簿（新生儿页）",
        faq=faqs(
            ("新生儿名字可以用生僻字吗？", "须使用规范汉字，不能使用公安户籍系统字库以外的字。"),
            ("超过一个月还能落户吗？", "可以，逾期申报的须说明原因，不影响办理。"),
        ),
        form="新生儿姓名须与出生医学证明一致；落户地址选择父母一方户口所在户。",
        fields=_form(
            _text("babyName", "新生儿姓名", required=True, max_length=20),
            _date("birthDate", "出生日期"),
            _text("marriageCertificateNumber", "父母结婚证字号", max_length=30, prefill="JHZ"),
        ),
        templates=["出生登记申报表"],
        volume=41000,
    )
    codes["no_crime"] = c.add(
        YC_GA,
        "GG",
        105,
        1,
        "无犯罪记录证明开具",
        themes=["户籍办理", "就业创业"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=3,
        promised=1,
        legal=[
            "《公安部关于印发〈公安机关办理犯罪记录查询工作规定〉的通知》（公通字〔2021〕19号）"
        ],
        conditions=["户籍或经常居住地在永昌县的中国公民，为本人申请"],
        materials=[
            id_card(),
            m(
                "查询用途说明",
                "说明用于就业、出国、入学等具体用途；系统内选择即可。",
                formats=["pdf", "jpg"],
            ),
        ],
        process=steps(
            ("在线申请", "平台提交申请并完成人脸核验。", 0),
            ("查询出具", "公安机关查询后出具带电子印章的证明，可在线下载。", 1),
        ),
        fee=free("依据公通字〔2021〕19号，开具无犯罪记录证明不收取费用。"),
        result_type="证明",
        result_name="无犯罪记录证明",
        faq=faqs(
            ("电子证明有效吗？", "加盖公安机关电子印章的证明与纸质证明具有同等效力，可扫码核验。")
        ),
        form="查询用途须如实选择；用于出国的请同时填写前往国家。",
        fields=_form(
            _select("purpose", "查询用途", "出国（境）", "就业", "入学", "其他"),
            _text("destinationCountry", "前往国家（地区）", max_length=50),
        ),
        templates=["无犯罪记录证明申请表"],
        volume=23000,
    )
    return codes


def _social_security(c: _Catalogue) -> dict[str, str]:
    codes: dict[str, str] = {}
    codes["si_card"] = c.add(
        JC_RS,
        "GG",
        201,
        1,
        "社保卡申领",
        themes=["社会保障"],
        online="full_online",
        visits=0,
        statutory=30,
        promised=10,
        legal=[_SI_LAW + "第五十八条", "《社会保障卡管理办法》（人社部发〔2011〕47号）"],
        conditions=["已参加本市社会保险或城乡居民医疗保险，且未持有有效第三代社会保障卡"],
        materials=[
            id_card(),
            photo("白底免冠彩色照片，可通过平台人像采集功能现场拍摄。"),
            m(
                "监护人身份证明",
                "16 周岁以下申请人由监护人代办，提供监护人居民身份证及户口簿。",
                required=False,
                licences=("SFZ", "HKB"),
            ),
        ],
        process=steps(
            ("在线申请", "选择合作银行网点、上传照片。", 0),
            ("制卡", "省社保卡制卡中心完成个性化制卡。", 8),
            ("发卡", "邮寄到家或到银行网点领取，领卡后即时激活电子社保卡。", 2),
        ),
        fee=free("依据人社部发〔2011〕47号，首次申领社会保障卡不收取费用。"),
        result_type="证件",
        result_name="第三代社会保障卡",
        faq=faqs(
            ("可以选择哪家银行？", "可选择与省人社厅合作的 12 家银行，卡片同时具备金融功能。"),
            ("电子社保卡怎么领？", "实体卡领取后在平台“我的证照”中即可激活电子社保卡。"),
        ),
        form="选择的开户银行网点须位于本市；邮寄地址须能签收挂号邮件。",
        fields=_form(
            _text("bankBranch", "开户银行网点", required=True, max_length=50),
            _text("mailingAddress", "邮寄地址", max_length=100),
        ),
        templates=["社会保障卡申领登记表"],
        volume=240000,
        licence=("SBK", "社会保障卡"),
    )
    codes["pension"] = c.add(
        RST,
        "JF",
        202,
        1,
        "基本养老保险待遇申领（企业职工退休）",
        themes=["社会保障"],
        online="online_prereview",
        visits=0,
        statutory=20,
        promised=15,
        legal=[
            _SI_LAW + "第十六条",
            "《国务院关于完善企业职工基本养老保险制度的决定》（国发〔2005〕38号）",
        ],
        conditions=[
            "达到法定退休年龄或符合提前退休条件",
            "累计缴费（含视同缴费）满 15 年",
            "已办理退休审批",
        ],
        materials=[
            id_card(),
            m(
                "职工退休审批表",
                "用人单位或档案托管机构出具的退休审批表。",
                formats=DOC,
            ),
            m(
                "职工档案",
                "用于核定视同缴费年限；档案在人才服务机构托管的由系统调取。",
                tolerance=True,
                formats=DOC,
                max_kb=20480,
            ),
            bank_card(),
        ],
        process=steps(
            ("申报", "单位或个人在平台提交退休待遇申领。", 0),
            ("审核", "社保经办机构核定缴费年限、缴费基数并计算待遇。", 10),
            ("公示", "待遇核定结果在平台告知本人。", 3),
            ("发放", "次月起按月发放至社会保障卡金融账户。", 2),
        ),
        fee=free("依据《社会保险法》，社会保险经办不收取费用。"),
        result_type="待遇核定",
        result_name="基本养老金核定表",
        faq=faqs(
            ("养老金从什么时候开始发？", "从办理退休手续的次月起计发。"),
            ("缴费不满 15 年怎么办？", "可以延长缴费至满 15 年，或转入城乡居民养老保险。"),
        ),
        form="银行账户须为本人社会保障卡金融账户；联系地址用于邮寄待遇核定通知。",
        fields=_form(
            _date("retirementDate", "退休日期"),
            _select("retirementType", "退休类别", "正常退休", "特殊工种提前退休", "病残退休"),
            _text("contactAddress", "联系地址", required=True, max_length=100),
        ),
        templates=["基本养老保险待遇申领表", "个人缴费年限确认表"],
        volume=58000,
    )
    codes["unemployment"] = c.add(
        JC_RS,
        "JF",
        203,
        1,
        "失业保险金申领",
        themes=["社会保障", "就业创业"],
        online="full_online",
        visits=0,
        statutory=10,
        promised=3,
        legal=[
            _SI_LAW + "第四十五条",
            "《失业保险金申领发放办法》（人社部令第 18 号）",
        ],
        conditions=[
            "失业前用人单位和本人已缴纳失业保险费满一年",
            "非因本人意愿中断就业",
            "已办理失业登记并有求职要求",
        ],
        materials=[
            id_card(),
            m("解除或终止劳动合同证明", "原用人单位出具，系统可共享的免于提交。", formats=DOC),
            bank_card(),
        ],
        process=steps(
            ("在线申请", "平台提交申领，系统核验参保缴费记录。", 0),
            ("审核", "经办机构审核失业原因及缴费年限。", 2),
            ("发放", "审核通过后按月发放至社会保障卡。", 1),
        ),
        fee=free("依据《社会保险法》，失业保险金申领不收取费用。"),
        result_type="待遇发放",
        result_name="失业保险金核定通知书",
        faq=faqs(
            (
                "能领多长时间？",
                "缴费满 1 年不足 5 年的最长 12 个月，满 5 年不足 10 年的最长 18 个月。",
            ),
            ("领取期间找到工作怎么办？", "重新就业的应停止领取，未领完的期限可保留。"),
        ),
        form="失业原因按劳动合同解除证明如实选择；求职意向用于推送招聘信息。",
        fields=_form(
            _date("separationDate", "解除（终止）劳动合同日期"),
            _select(
                "separationReason",
                "失业原因",
                "劳动合同期满终止",
                "用人单位解除",
                "协商一致解除",
                "其他非本人意愿中断就业",
            ),
            _text("jobIntention", "求职意向", max_length=100),
        ),
        templates=["失业保险金申领登记表"],
        volume=33000,
    )
    codes["si_transfer"] = c.add(
        RST,
        "GG",
        204,
        1,
        "社保关系转移接续（企业职工基本养老保险）",
        themes=["社会保障"],
        online="full_online",
        visits=0,
        statutory=45,
        promised=15,
        legal=[
            _SI_LAW + "第十九条",
            "《城镇企业职工基本养老保险关系转移接续暂行办法》（国办发〔2009〕66号）",
        ],
        conditions=["已在转出地参加企业职工基本养老保险并中断缴费", "已在转入地参保缴费"],
        materials=[
            id_card(),
            m(
                "参保缴费凭证",
                "转出地社保经办机构出具；全国社会保险公共服务平台可在线开具。",
                tolerance=True,
            ),
        ],
        process=steps(
            ("转入申请", "在转入地提交转移接续申请。", 0),
            ("联系函", "转入地向转出地发出联系函。", 5),
            ("转出", "转出地核实并转移基金及信息。", 8),
            ("接续", "转入地接收基金并合并缴费年限。", 2),
        ),
        fee=free("社会保险关系转移接续不收取费用。"),
        result_type="办理结果",
        result_name="基本养老保险关系转移接续结果告知书",
        faq=faqs(("个人账户余额会丢吗？", "不会，个人账户储存额全部随同转移。")),
        form="转出地须填写至县区级；多地参保的请逐一列出参保时段。",
        fields=_form(
            _text("transferOutRegion", "转出地（县区）", required=True, max_length=50),
            _textarea("contributionPeriods", "各地参保时段", max_length=500),
        ),
        templates=["基本养老保险关系转移接续申请表"],
        volume=47000,
        status="suspended",
        reason=(
            "社保经办系统升级维护，暂停网上受理，预计 2026 年 2 月 1 日恢复；"
            "急需办理的请到各级社保经办窗口。"
        ),
    )
    return codes


def _civil_affairs(c: _Catalogue) -> None:
    c.add(
        JC_MZ,
        "QT",
        301,
        1,
        "婚姻登记预约（结婚登记）",
        themes=["婚姻生育"],
        case="immediate",
        online="online_prereview",
        visits=1,
        statutory=1,
        promised=1,
        legal=["《中华人民共和国民法典》第一千零四十九条", "《婚姻登记条例》第四条"],
        conditions=[
            "男女双方完全自愿，男不早于 22 周岁、女不早于 20 周岁",
            "双方均无配偶，且不属于直系血亲或三代以内旁系血亲",
            "婚姻登记“跨省通办”试点地区可在一方经常居住地登记",
        ],
        materials=[
            id_card("男女双方"),
            hukou("男女双方"),
            photo("双方近期半身免冠合影 2 寸红底照片 3 张，可在登记处现场拍摄。"),
            m(
                "本人无配偶以及与对方当事人没有直系血亲和三代以内旁系血亲关系的签字声明",
                "现场签署，无需提前准备。",
                formats=["pdf"],
            ),
        ],
        process=steps(
            ("网上预约", "选择婚姻登记处及日期、时段，填写双方信息。", 0),
            ("现场登记", "双方本人到场核验、签字、颁证。", 1),
        ),
        fee=free(
            "《国家发展改革委 财政部关于婚姻登记收费有关问题的通知》：自 2017 年起免收婚姻登记费。"
        ),
        result_type="证件",
        result_name="结婚证",
        faq=faqs(
            (
                "预约后不能按时到场怎么办？",
                "可在预约日前一日 17 时前取消或改约，爽约三次将限制预约 30 天。",
            ),
            ("节假日可以登记吗？", "“520”“七夕”等特殊日期开放加班登记，以平台公布为准。"),
        ),
        form="预约信息须与双方居民身份证一致；联系电话用于接收预约确认短信。",
        fields=_form(
            _text("partnerName", "对方姓名", required=True, max_length=20),
            _text("registryOffice", "婚姻登记机关", required=True, max_length=50),
            _date("appointmentDate", "预约日期"),
        ),
        templates=["申请结婚登记声明书"],
        volume=38000,
        licence=("JHZ", "结婚证"),
    )
    c.add(
        YC_MZ,
        "JF",
        302,
        1,
        "最低生活保障审核确认",
        themes=["社会救助"],
        online="online_prereview",
        visits=0,
        statutory=30,
        promised=20,
        legal=[
            "《社会救助暂行办法》（国务院令第 649 号）第九条至第十三条",
            "《西岭省最低生活保障审核确认办法》",
        ],
        conditions=[
            "持有本县户籍的城乡居民",
            "共同生活的家庭成员人均收入低于当地最低生活保障标准",
            "家庭财产状况符合当地规定",
        ],
        materials=[
            id_card("家庭成员"),
            hukou("家庭成员"),
            m(
                "家庭经济状况核对授权书",
                "所有共同生活家庭成员签字，授权民政部门核对收入和财产状况。",
                formats=DOC,
            ),
            m(
                "残疾、患病等特殊情况证明",
                "家庭成员有重病、重残的提供诊断证明或残疾人证。",
                required=False,
                tolerance=True,
                licences=("CJRZ",),
            ),
        ],
        process=steps(
            ("申请", "户主或委托人在平台或乡镇（街道）提出申请。", 0),
            ("调查核对", "乡镇（街道）入户调查并开展家庭经济状况信息核对。", 12),
            ("公示", "在申请人所在村（社区）公示 7 天。", 7),
            ("确认", "县民政局审核确认并从批准次月起发放。", 1),
        ),
        fee=free("社会救助事项不收取任何费用。"),
        result_type="救助决定",
        result_name="最低生活保障审核确认通知书",
        faq=faqs(("打工收入要算吗？", "计入家庭收入，但按规定扣除必要的就业成本。")),
        form="家庭成员须填写全部共同生活人员，含在外务工、就学的成员。",
        fields=_form(
            _number("householdSize", "共同生活家庭人口（人）"),
            _number("monthlyIncome", "家庭月总收入（元）"),
            _textarea("householdMembers", "家庭成员情况", required=True, max_length=1000),
        ),
        templates=["最低生活保障申请书", "家庭经济状况核对授权书"],
        volume=6200,
    )
    c.add(
        JC_MZ,
        "JF",
        303,
        1,
        "基本殡葬服务补贴申领",
        themes=["社会救助", "身后事"],
        online="full_online",
        visits=0,
        statutory=20,
        promised=10,
        legal=["《殡葬管理条例》", "《金城市惠民殡葬政策实施办法》"],
        conditions=["逝者为本市户籍居民", "遗体在本市殡仪馆火化", "逝者去世后 1 年内申请"],
        materials=[
            id_card("经办人"),
            m("居民死亡医学证明（推断）书", "医疗机构出具的死亡证明。", formats=DOC),
            m("火化证明", "殡仪馆出具的火化证明，系统可共享的免于提交。", tolerance=True),
            bank_card(),
        ],
        process=steps(
            ("申请", "逝者家属在平台提交补贴申请。", 0),
            ("审核", "区县民政部门核对户籍注销与火化信息。", 7),
            ("拨付", "补贴发放至经办人银行账户。", 3),
        ),
        fee=free("补贴申领不收取费用。"),
        result_type="补贴发放",
        result_name="惠民殡葬补贴发放告知书",
        faq=faqs(
            (
                "补贴标准是多少？",
                "基本殡葬服务费用（接运、存放、火化、骨灰寄存）全额补贴，上限 1500 元。",
            )
        ),
        form="经办人须为逝者直系亲属；与逝者关系按户口簿填写。",
        fields=_form(
            _text("deceasedName", "逝者姓名", required=True, max_length=20),
            _date("dateOfDeath", "死亡日期"),
            _select("relationToDeceased", "与逝者关系", "配偶", "子女", "父母", "其他直系亲属"),
        ),
        templates=["惠民殡葬补贴申请表"],
        volume=9800,
    )


def _housing_fund(c: _Catalogue) -> None:
    gjj_faq = ("提取到账需要多久？", "审核通过后 1 个工作日内转入本人银行账户。")
    c.add(
        JC_GJJ,
        "GG",
        401,
        1,
        "住房公积金提取（租房）",
        themes=["住房保障"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=3,
        promised=1,
        legal=[_GJJ_LAW + "第二十四条", "《金城住房公积金提取管理办法》第八条"],
        conditions=[
            "职工本人及配偶在本市无自有住房且租房自住",
            "住房公积金连续足额缴存满 3 个月",
            "每年可提取一次，额度不超过当年租金且不超过规定上限",
        ],
        materials=[
            id_card(),
            m(
                "房屋租赁合同",
                "经住建部门备案的租赁合同；租住公共租赁住房的提供公租房合同；无备案合同的按上限提取可免交。",
                required=False,
                tolerance=True,
                formats=DOC,
            ),
            bank_card(),
        ],
        process=steps(
            ("在线申请", "平台选择租房提取，系统核查无房信息。", 0),
            ("自动审批", "符合条件的系统即时审批。", 0),
            ("到账", "资金划入本人银行账户。", 1),
        ),
        fee=free("依据《住房公积金管理条例》，提取住房公积金不收取费用。"),
        result_type="资金划转",
        result_name="住房公积金提取凭证",
        faq=faqs(gjj_faq, ("配偶可以一起提吗？", "夫妻双方可同时申请，合计不超过年度租金。")),
        form="收款银行卡须为本人名下一类借记卡；租房地址须在本市范围内。",
        fields=_form(
            _number("monthlyRent", "月租金（元）"),
            _date("leaseStart", "租赁起始日期"),
            _text("rentalAddress", "租房地址", required=True, max_length=100),
            _text("bankAccount", "收款银行账号", required=True, max_length=30),
        ),
        templates=["住房公积金提取申请书（租房）"],
        volume=210000,
    )
    c.add(
        JC_GJJ,
        "GG",
        401,
        2,
        "住房公积金提取（购买自住住房）",
        themes=["住房保障"],
        online="full_online",
        visits=0,
        statutory=5,
        promised=3,
        legal=[_GJJ_LAW + "第二十四条第一款第（一）项"],
        conditions=[
            "购买本市或户籍地自住住房",
            "购房合同签订或不动产登记后 2 年内申请",
            "提取总额不超过购房款",
        ],
        materials=[
            id_card(),
            m(
                "不动产权证书或购房合同",
                "已办理不动产登记的可关联电子不动产权证书免于提交；新房提供网签备案合同。",
                licences=("BDCQZS",),
                formats=DOC,
            ),
            m(
                "购房发票或契税完税凭证",
                "全款购房提供购房发票；贷款购房同时提供借款合同。",
                formats=DOC,
            ),
            m(
                "结婚证",
                "配偶名下住房或夫妻共同购房的提供。",
                required=False,
                licences=("JHZ",),
            ),
            bank_card(),
        ],
        process=steps(
            ("在线申请", "填写购房信息并上传合同、发票。", 0),
            ("审核", "中心核对不动产登记及网签信息。", 2),
            ("到账", "审核通过后资金划入本人账户。", 1),
        ),
        fee=free("提取住房公积金不收取费用。"),
        result_type="资金划转",
        result_name="住房公积金提取凭证",
        faq=faqs(gjj_faq, ("异地买房能提吗？", "在户籍地或工作地购买自住住房均可提取。")),
        form="房屋坐落按不动产权证书填写；共有人信息须完整。",
        fields=_form(
            _text(
                "propertyCertificateNumber",
                "不动产权证书号",
                required=True,
                max_length=50,
                prefill="BDCQZS",
            ),
            _number("purchasePrice", "购房总价（元）"),
            _number("withdrawalAmount", "提取金额（元）"),
            _text("bankAccount", "收款银行账号", required=True, max_length=30),
        ),
        templates=["住房公积金提取申请书（购房）"],
        volume=96000,
    )
    c.add(
        YF_GJJ,
        "GG",
        402,
        1,
        "住房公积金个人住房贷款申请",
        themes=["住房保障"],
        online="online_prereview",
        visits=1,
        statutory=20,
        promised=10,
        legal=[_GJJ_LAW + "第二十六条", "《永丰市住房公积金个人住房贷款管理办法》"],
        conditions=[
            "借款人连续足额缴存住房公积金 6 个月以上",
            "购买、建造、翻建、大修自住住房",
            "具有稳定收入和偿还能力，信用良好",
        ],
        materials=[
            id_card("借款人及配偶"),
            hukou("借款人"),
            m("婚姻状况证明", "已婚提供结婚证，未婚签署单身声明。", licences=("JHZ",)),
            m(
                "购房合同及首付款凭证",
                "商品房网签合同及首付款发票或收据。",
                formats=DOC,
                max_kb=10240,
            ),
            m("收入证明", "单位出具的近 6 个月收入证明，或银行流水。", formats=DOC, tolerance=True),
        ],
        process=steps(
            ("网上预审", "提交贷款申请和材料，中心在线预审。", 3),
            ("面签", "借款人夫妻双方到受托银行面签借款合同。", 1),
            ("审批", "中心审批贷款额度与期限。", 4),
            ("抵押放款", "办理抵押登记后放款至售房方账户。", 2),
        ),
        fee=free("住房公积金贷款不收取手续费；抵押登记费由不动产登记机构按规定收取。"),
        result_type="贷款审批",
        result_name="住房公积金个人住房借款合同",
        faq=faqs(
            ("最高能贷多少？", "单方缴存最高 50 万元，双方缴存最高 70 万元，且不超过房价的 80%。"),
            ("二套房能用公积金贷款吗？", "首套贷款已结清的可申请第二次贷款，首付比例不低于 30%。"),
        ),
        form="借款期限不超过 30 年且借款人年龄加期限不超过法定退休年龄后 5 年。",
        fields=_form(
            _number("loanAmount", "借款金额（元）"),
            _number("loanTermYears", "借款期限（年）"),
            _text("propertyAddress", "房屋坐落", required=True, max_length=100),
            _select("repaymentMethod", "还款方式", "等额本息", "等额本金"),
        ),
        templates=["住房公积金个人住房贷款申请表", "单身声明"],
        volume=18000,
    )
    c.add(
        JC_GJJ,
        "GG",
        403,
        1,
        "住房公积金缴存证明出具",
        themes=["住房保障"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=1,
        promised=1,
        legal=[_GJJ_LAW, "《住房公积金服务指引》"],
        conditions=["在本中心有住房公积金缴存记录的职工本人"],
        materials=[id_card()],
        process=steps(
            ("在线申请", "选择证明用途及时间范围。", 0),
            ("出具", "系统即时生成带电子印章的缴存证明。", 0),
        ),
        fee=free("出具缴存证明不收取费用。"),
        result_type="证明",
        result_name="住房公积金缴存证明",
        faq=faqs(("证明如何核验？", "证明上的二维码可通过平台扫码核验真伪。")),
        form="证明用途选择“异地贷款”的，须填写贷款城市。",
        fields=_form(
            _select("certificatePurpose", "证明用途", "异地贷款", "购房资格审核", "其他"),
            _text("loanCity", "贷款城市", max_length=30),
        ),
        templates=["住房公积金缴存证明（样式）"],
        volume=125000,
    )


def _market(c: _Catalogue, codes: dict[str, str]) -> None:
    c.add(
        YC_SCJ,
        "XK",
        501,
        1,
        "个体工商户设立登记",
        themes=["企业开办"],
        targets=["person", "company"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=15,
        promised=1,
        legal=["《促进个体工商户发展条例》第八条", "《中华人民共和国市场主体登记管理条例》第三条"],
        conditions=["有经营能力的自然人", "有固定的经营场所", "经营范围不属于禁止类项目"],
        materials=[
            id_card("经营者"),
            m(
                "经营场所使用证明",
                "自有房屋提供不动产权证书，租赁房屋提供租赁合同；承诺制试点地区可作出书面承诺。",
                tolerance=True,
                licences=("BDCQZS",),
                formats=DOC,
            ),
            m("个体工商户登记（备案）申请书", "平台在线填写后电子签名生成。", formats=["pdf"]),
        ],
        process=steps(
            ("在线申请", "填写名称、经营范围、经营场所，完成电子签名。", 0),
            ("审核", "登记机关审核，符合条件的当场办结。", 1),
            ("发照", "签发电子营业执照，纸质执照可邮寄。", 0),
        ),
        fee=free("依据《市场主体登记管理条例》，市场主体登记不收取费用。"),
        result_type="证照",
        result_name="营业执照（个体工商户）",
        faq=faqs(("个体户可以不起名称吗？", "可以，未申请名称的以经营者姓名登记。")),
        form="经营范围从规范目录中选择；住所须精确到门牌号。",
        fields=_form(
            _text("businessName", "个体工商户名称", required=True, max_length=50),
            _textarea("businessScope", "经营范围", required=True, max_length=500),
            _text("businessAddress", "经营场所", required=True, max_length=100),
            _number("capitalAmount", "资金数额（元）"),
        ),
        templates=["个体工商户登记（备案）申请书"],
        volume=67000,
        licence=("YYZZ", "营业执照"),
    )
    codes["name_reg"] = c.add(
        SCJ,
        "QT",
        502,
        1,
        "企业名称自主申报登记",
        themes=["企业开办"],
        targets=["company", "person"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=3,
        promised=1,
        legal=["《企业名称登记管理规定》（国务院令第 734 号）", "《企业名称登记管理规定实施办法》"],
        conditions=[
            "拟设立企业的投资人或其委托代理人",
            "名称不含禁限用字词，与同行业在先名称不近似",
        ],
        materials=[
            id_card("投资人或代理人"),
            m("企业名称自主申报承诺书", "系统在线生成，申请人电子签名确认。", formats=["pdf"]),
        ],
        process=steps(
            ("查询比对", "在线输入拟用名称，系统自动比对禁限用字词及近似名称。", 0),
            ("申报承诺", "申请人对名称合法性作出承诺。", 0),
            ("保留", "名称保留 2 个月，期间可办理设立登记。", 0),
        ),
        fee=free("企业名称申报不收取费用。"),
        result_type="告知书",
        result_name="企业名称自主申报告知书",
        faq=faqs(("名称可以用英文吗？", "企业名称应使用规范汉字，不得含有外文字母。")),
        form="名称按“行政区划+字号+行业+组织形式”依次填写。",
        fields=_form(
            _text("proposedName", "拟申请名称", required=True, max_length=50),
            _text("alternativeName", "备选名称", max_length=50),
            _text("industry", "行业表述", required=True, max_length=20),
            _select("organisationForm", "组织形式", "有限公司", "有限责任公司", "股份有限公司"),
        ),
        templates=["企业名称自主申报承诺书"],
        volume=88000,
    )
    codes["company_reg"] = c.add(
        JC_SCJ,
        "XK",
        503,
        1,
        "企业设立登记（有限责任公司）",
        themes=["企业开办"],
        targets=["company"],
        online="full_online",
        visits=0,
        statutory=3,
        promised=1,
        legal=[
            "《中华人民共和国公司法》第二十九条",
            "《中华人民共和国市场主体登记管理条例》第十九条",
        ],
        conditions=[
            "已完成企业名称申报",
            "股东、法定代表人完成实名认证",
            "有符合章程规定的注册资本认缴承诺",
        ],
        materials=[
            id_card("法定代表人及全体股东"),
            m("公司章程", "全体股东电子签名的公司章程，可使用平台标准模板。", formats=["pdf"]),
            m(
                "住所使用证明",
                "不动产权证书或租赁合同；集群注册的提供托管机构证明。",
                licences=("BDCQZS",),
                formats=DOC,
            ),
            m("董事、监事、经理任职文件", "股东会决议或股东决定。", formats=["pdf"]),
        ],
        process=steps(
            ("在线申请", "填写设立信息，全体股东电子签名。", 0),
            ("审核", "登记机关审核。", 1),
            ("发照", "签发电子营业执照，同步推送税务、社保、公积金开户信息。", 0),
        ),
        fee=free("依据《市场主体登记管理条例》，企业设立登记不收取费用。"),
        result_type="证照",
        result_name="营业执照",
        faq=faqs(("注册资本需要实缴吗？", "有限责任公司股东认缴出资额应自成立之日起 5 年内缴足。")),
        form="经营范围使用规范表述；联络员须为企业工作人员。",
        fields=_form(
            _text("companyName", "企业名称", required=True, max_length=50),
            _number("registeredCapital", "注册资本（万元）"),
            _textarea("businessScope", "经营范围", required=True, max_length=1000),
            _text("registeredAddress", "住所", required=True, max_length=100),
        ),
        templates=["公司登记（备案）申请书", "有限责任公司章程（参考文本）"],
        volume=42000,
        licence=("YYZZ", "营业执照"),
    )
    c.add(
        JC_SCJ,
        "XK",
        504,
        1,
        "食品经营许可（新办）",
        themes=["企业开办", "医疗卫生"],
        targets=["company", "person"],
        online="online_prereview",
        visits=0,
        statutory=10,
        promised=5,
        legal=[
            "《中华人民共和国食品安全法》第三十五条",
            "《食品经营许可和备案管理办法》（市场监管总局令第 78 号）",
        ],
        conditions=[
            "已取得营业执照等主体资格证明",
            "具有与经营的食品品种、数量相适应的经营场所和设备设施",
            "有专职或兼职的食品安全管理人员和保证食品安全的规章制度",
        ],
        materials=[
            business_licence(),
            id_card("法定代表人或负责人"),
            m(
                "经营场所平面布局图",
                "标明功能区域、设备布局、操作流程。",
                formats=["pdf", "jpg"],
                max_kb=5120,
            ),
            m("食品安全自查和管理制度文本", "含进货查验、从业人员健康管理等制度。", formats=DOC),
            m("从业人员健康证明", "直接接触入口食品的从业人员健康证明。", tolerance=True),
        ],
        process=steps(
            ("申请", "平台提交许可申请及材料。", 0),
            ("受理", "材料齐全、符合法定形式的当场受理。", 1),
            ("现场核查", "必要时对经营场所开展现场核查，仅销售预包装食品的免于核查。", 3),
            ("决定", "作出许可决定并核发电子许可证。", 1),
        ),
        fee=free("依据《食品安全法》，食品经营许可不收取费用。"),
        result_type="证照",
        result_name="食品经营许可证",
        faq=faqs(
            ("仅销售预包装食品需要许可吗？", "不需要许可，办理备案即可。"),
            ("许可证有效期多久？", "有效期 5 年，届满前 90 个工作日至 15 个工作日申请延续。"),
        ),
        form="经营项目按《食品经营许可审查通则》分类勾选；主体业态只能选择一项。",
        fields=_form(
            _text(
                "businessLicenceNumber",
                "营业执照统一社会信用代码",
                required=True,
                max_length=18,
                prefill="YYZZ",
            ),
            _select("businessFormat", "主体业态", "食品销售经营者", "餐饮服务经营者", "单位食堂"),
            _text("premisesAddress", "经营场所", required=True, max_length=100),
            _number("premisesArea", "经营场所面积（平方米）"),
        ),
        templates=["食品经营许可申请书", "食品安全管理制度（参考文本）"],
        volume=21000,
        licence=("SPJYXKZ", "食品经营许可证"),
    )


def _health_education_transport(c: _Catalogue, codes: dict[str, str]) -> None:
    codes["birth_cert"] = c.add(
        JC_WJW,
        "GG",
        601,
        1,
        "出生医学证明签发（首次签发）",
        themes=["婚姻生育", "医疗卫生"],
        online="online_prereview",
        visits=0,
        statutory=10,
        promised=3,
        legal=["《中华人民共和国母婴保健法》第二十三条", "《出生医学证明管理办法》"],
        conditions=["在本市具有助产资质的医疗机构内出生的新生儿", "父母或其监护人申请"],
        materials=[
            id_card("母亲"),
            m(
                "父亲居民身份证",
                "需登记父亲信息的提供；可关联电子身份证照免于提交。",
                required=False,
                licences=("SFZ",),
            ),
            m("出生医学证明首次签发登记表", "出院前由助产机构核对并由父母签字。", formats=["pdf"]),
        ],
        process=steps(
            ("申请", "出院前在平台填写新生儿姓名等信息。", 0),
            ("核对", "助产机构核对分娩记录与父母身份信息。", 2),
            ("签发", "签发出生医学证明，同步生成电子证照。", 1),
        ),
        fee=free("出生医学证明首次签发不收取费用。"),
        result_type="证照",
        result_name="出生医学证明",
        faq=faqs(("名字写错了怎么办？", "可在签发后 1 年内到签发机构申请变更，需提供相关证明。")),
        form="新生儿姓名须使用规范汉字，签发后与户口登记姓名保持一致。",
        fields=_form(
            _text("babyName", "新生儿姓名", required=True, max_length=20),
            _date("birthDate", "出生日期"),
            _text("birthInstitution", "助产机构", required=True, max_length=50),
        ),
        templates=["出生医学证明首次签发登记表"],
        volume=39000,
        licence=("CSYXZM", "出生医学证明"),
    )
    c.add(
        WJW,
        "XK",
        602,
        1,
        "医师执业注册",
        themes=["医疗卫生"],
        online="full_online",
        visits=0,
        statutory=20,
        promised=5,
        legal=[
            "《中华人民共和国医师法》第十三条",
            "《医师执业注册管理办法》（国家卫生计生委令第 13 号）",
        ],
        conditions=["取得医师资格证书", "拟执业医疗机构同意聘用", "身体健康，能胜任医师工作"],
        materials=[
            id_card(),
            m("医师资格证书", "国家卫生健康委颁发的医师资格证书。", licences=("YSZGZS",)),
            m("拟执业机构聘用证明", "医疗机构出具的拟聘用证明。", formats=DOC),
            m("近 6 个月内的体检证明", "二级以上医疗机构出具。", formats=DOC),
        ],
        process=steps(
            ("申请", "医师在电子化注册系统提交申请，机构确认。", 0),
            ("审核", "卫生健康行政部门审核。", 4),
            ("注册", "准予注册并生成电子医师执业证书。", 1),
        ),
        fee=free("依据《医师法》，医师执业注册不收取费用。"),
        result_type="证照",
        result_name="医师执业证书",
        faq=faqs(("多点执业需要另行注册吗？", "不需要，在主执业机构注册后备案其他执业机构即可。")),
        form="执业范围须与医师资格类别一致。",
        fields=_form(
            _text(
                "qualificationCertificateNumber",
                "医师资格证书编号",
                required=True,
                max_length=30,
                prefill="YSZGZS",
            ),
            _select("practiceCategory", "执业类别", "临床", "中医", "口腔", "公共卫生"),
            _text("practiceInstitution", "拟执业机构", required=True, max_length=100),
        ),
        templates=["医师执业注册申请审核表"],
        volume=12000,
        licence=("YSZYZS", "医师执业证书"),
    )
    c.add(
        JYT,
        "GG",
        701,
        1,
        "高等教育学历证明出具",
        themes=["教育"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=5,
        promised=1,
        legal=["《中华人民共和国高等教育法》第二十条", "《高等学校学生学籍学历电子注册办法》"],
        conditions=["在本省高校取得学历且已完成学历电子注册", "学历证书遗失或需要学历认证"],
        materials=[
            id_card(),
            m("毕业证书复印件", "证书遗失的可不提供，系统按电子注册信息出具。", required=False),
        ],
        process=steps(
            ("在线申请", "选择学校与毕业年份，系统自动比对注册信息。", 0),
            ("出具", "生成带电子印章的学历证明。", 1),
        ),
        fee=free("学历证明出具不收取费用。"),
        result_type="证明",
        result_name="高等教育学历证明书",
        faq=faqs(("证明和毕业证书效力一样吗？", "学历证明书与原毕业证书具有同等效力。")),
        form="毕业院校名称按毕业时校名填写，已更名的系统会提示现名。",
        fields=_form(
            _text("institutionName", "毕业院校", required=True, max_length=50),
            _date("graduationDate", "毕业日期"),
            _text("diplomaNumber", "毕业证书编号", required=True, max_length=30, prefill="XLZS"),
        ),
        templates=["学历证明书申请表"],
        volume=15000,
    )
    c.add(
        JYT,
        "XK",
        702,
        1,
        "教师资格认定",
        themes=["教育"],
        online="online_prereview",
        visits=0,
        statutory=30,
        promised=20,
        legal=[
            "《中华人民共和国教师法》第十条至第十三条",
            "《教师资格条例》",
            "《〈教师资格条例〉实施办法》",
        ],
        conditions=[
            "遵守宪法和法律，热爱教育事业",
            "具备规定的学历，并通过国家中小学教师资格考试或免试认定改革",
            "普通话水平达到二级乙等以上",
            "认定机构指定医院体检合格",
        ],
        materials=[
            id_card(),
            photo("近 6 个月内白底免冠彩色证件照。"),
            m("学历证书", "系统可在线核验的免于提交。", licences=("XLZS",)),
            m("普通话水平测试等级证书", "可在线核验。", licences=("PTHZS",)),
            m("体检合格证明", "指定医院出具的教师资格体检表。", formats=DOC),
        ],
        process=steps(
            ("网上申报", "在申报期内提交认定申请。", 0),
            ("现场或网上确认", "认定机构核验材料。", 5),
            ("审查", "专家审查，必要时面试试讲。", 10),
            ("决定", "作出认定决定，颁发教师资格证书。", 5),
        ),
        fee=free("依据《教师资格条例》，教师资格认定不收取费用。"),
        result_type="证照",
        result_name="教师资格证书",
        faq=faqs(("一年有几次认定？", "每年春、秋两季集中受理，具体时间以平台公告为准。")),
        form="任教学科须与考试合格证明一致。",
        fields=_form(
            _select(
                "qualificationLevel",
                "资格种类",
                "幼儿园",
                "小学",
                "初级中学",
                "高级中学",
                "中等职业学校",
            ),
            _text("subject", "任教学科", required=True, max_length=20),
            _text(
                "mandarinCertificateNumber",
                "普通话水平测试等级证书编号",
                required=True,
                max_length=30,
                prefill="PTHZS",
            ),
        ),
        templates=["教师资格认定申请表", "教师资格体检表"],
        volume=27000,
        licence=("JSZGZS", "教师资格证书"),
    )
    c.add(
        JTT,
        "XK",
        801,
        1,
        "道路运输从业人员从业资格证核发（经营性道路旅客运输驾驶员）",
        themes=["交通出行", "就业创业"],
        online="online_prereview",
        visits=1,
        statutory=10,
        promised=5,
        legal=[
            "《中华人民共和国道路运输条例》第九条",
            "《道路运输从业人员管理规定》（交通运输部令 2022 年第 38 号）",
        ],
        conditions=[
            "取得相应的机动车驾驶证 1 年以上",
            "年龄不超过 60 周岁",
            "3 年内无重大以上交通责任事故",
            "经考试合格",
        ],
        materials=[
            id_card(),
            m("机动车驾驶证", "可通过公安交管电子驾驶证核验。", licences=("JSZ",)),
            m(
                "无重大以上交通责任事故记录证明",
                "公安机关交通管理部门出具，可在线核验。",
                tolerance=True,
            ),
            photo("近期白底免冠彩色证件照。"),
        ],
        process=steps(
            ("报名", "平台报名并提交材料。", 0),
            ("考试", "参加理论知识与应用能力考试。", 0),
            ("核发", "考试合格后 10 日内核发从业资格证。", 5),
        ),
        fee=free("道路运输从业资格证核发不收取费用；考试费按价格主管部门规定另行收取。"),
        result_type="证照",
        result_name="道路运输从业资格证",
        faq=faqs(("证件有效期多久？", "有效期 6 年，期满前 30 日申请换证。")),
        form="从业资格类别按拟从事的运输类型选择。",
        fields=_form(
            _select("vehicleClass", "准驾车型", "A1", "A3", "B1"),
            _number("drivingYears", "驾龄（年）"),
            _text("employer", "拟从业单位", max_length=100),
        ),
        templates=["道路运输从业人员从业资格考试申请表"],
        volume=8600,
        licence=("DLYSCYZGZ", "道路运输从业资格证"),
    )


def _tax_property_health_insurance(c: _Catalogue, codes: dict[str, str]) -> None:
    c.add(
        SWJ,
        "QT",
        901,
        1,
        "个人所得税综合所得年度汇算",
        themes=["税费缴纳"],
        online="full_online",
        visits=0,
        statutory=30,
        promised=10,
        legal=["《中华人民共和国个人所得税法》第十一条", "《个人所得税综合所得年度汇算办理规程》"],
        conditions=[
            "年度内取得综合所得且需要补税或申请退税的居民个人",
            "在每年 3 月 1 日至 6 月 30 日内办理",
        ],
        materials=[
            id_card(),
            m(
                "专项附加扣除信息",
                "子女教育、住房贷款利息、赡养老人等信息在线填报。",
                required=False,
                formats=["pdf"],
            ),
            bank_card(),
        ],
        process=steps(
            ("填报", "确认收入、扣除信息，系统自动计算应退（补）税额。", 0),
            ("审核", "税务机关审核退税申请。", 7),
            ("退库", "退税款由国库直接退至本人银行账户。", 3),
        ),
        fee=free("办理涉税事项不收取费用。"),
        result_type="退（补）税",
        result_name="个人所得税年度汇算申报表",
        faq=faqs(
            ("收入不足 12 万元需要补税吗？", "年度综合所得收入不超过 12 万元的，无需办理补税。")
        ),
        form="填报时核对收入纳税明细，发现不实收入可在线申诉。",
        fields=_form(
            _number("taxYear", "汇算年度"),
            _text("refundBankAccount", "退税银行账号", required=True, max_length=30),
        ),
        templates=["个人所得税年度自行纳税申报表（A 表）"],
        volume=1350000,
    )
    codes["tax_new"] = c.add(
        SWJ,
        "QT",
        902,
        1,
        "新办纳税人涉税事项套餐",
        themes=["企业开办", "税费缴纳"],
        targets=["company"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=1,
        promised=1,
        legal=[
            "《中华人民共和国税收征收管理法》第十五条",
            "《国家税务总局关于进一步优化新办纳税人涉税事项的通知》",
        ],
        conditions=["已领取营业执照的新办企业", "法定代表人、财务负责人、办税人员完成实名认证"],
        materials=[
            business_licence(),
            id_card("办税人员"),
        ],
        process=steps(
            ("信息确认", "确认登记信息、财务会计制度、税种认定。", 0),
            ("发票申领", "申领数电发票额度。", 0),
        ),
        fee=free("涉税事项办理不收取费用。"),
        result_type="办理结果",
        result_name="税务事项通知书",
        faq=faqs(("新办企业能马上开发票吗？", "完成套餐办理后即可使用数电发票开票。")),
        form="财务负责人与办税人员可为同一人。",
        fields=_form(
            _text(
                "businessLicenceNumber",
                "统一社会信用代码",
                required=True,
                max_length=18,
                prefill="YYZZ",
            ),
            _select(
                "accountingStandard",
                "财务会计制度",
                "企业会计准则",
                "小企业会计准则",
                "民间非营利组织会计制度",
            ),
            _number("invoiceQuota", "申请数电发票月度额度（元）", required=False),
        ),
        templates=["新办纳税人涉税事项确认表"],
        volume=45000,
    )
    c.add(
        SWJ,
        "GG",
        903,
        1,
        "开具个人所得税纳税记录",
        themes=["税费缴纳"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=1,
        promised=1,
        legal=[
            "《国家税务总局关于将个人所得税〈税收完税证明〉（文书式）调整为〈纳税记录〉有关事项的公告》"
        ],
        conditions=["在我省有个人所得税缴纳记录的纳税人本人"],
        materials=[id_card()],
        process=steps(
            ("在线申请", "选择开具年度区间。", 0), ("开具", "系统即时生成带验证码的纳税记录。", 0)
        ),
        fee=free("开具纳税记录不收取费用。"),
        result_type="证明",
        result_name="个人所得税纳税记录",
        faq=faqs(("纳税记录可以用于购房资格审核吗？", "可以，并可通过验证码在线核验。")),
        form="开具区间最长可选 12 个月。",
        fields=_form(
            _date("periodStart", "开具起始日期"),
            _date("periodEnd", "开具截止日期"),
        ),
        templates=["纳税记录开具说明"],
        volume=310000,
    )
    c.add(
        JC_BDC,
        "QR",
        1001,
        1,
        "不动产转移登记（二手房买卖）",
        themes=["住房保障", "不动产"],
        online="online_prereview",
        visits=1,
        statutory=30,
        promised=5,
        legal=["《不动产登记暂行条例》第十四条", "《不动产登记暂行条例实施细则》第三十八条"],
        conditions=[
            "房屋已取得不动产权证书且无查封、异议登记",
            "买卖双方已签订存量房买卖合同并完成缴税",
        ],
        materials=[
            id_card("买卖双方"),
            m("不动产权证书", "卖方原不动产权证书；可关联电子证书。", licences=("BDCQZS",)),
            m("存量房买卖合同", "经网签备案的合同。", formats=DOC),
            m("完税凭证", "契税、增值税等完税凭证，税务系统可共享。", tolerance=True),
            m(
                "婚姻状况证明",
                "卖方已婚的提供结婚证及配偶同意出售声明。",
                licences=("JHZ",),
            ),
        ],
        process=steps(
            ("网上预审", "上传材料，登记中心在线预审。", 1),
            ("一窗受理", "买卖双方到“一窗受理”窗口签字，同时完成缴税。", 0),
            ("审核登簿", "登记机构审核并记载于不动产登记簿。", 3),
            ("发证", "缮证发证，可选电子证书或邮寄纸质证书。", 1),
        ),
        fee=charged(
            "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》"
            "（发改价格规〔2016〕2559号）：住宅类不动产登记费每件 80 元，"
            "含第一本证书工本费；每增加一本证书加收工本费 10 元。",
            ("不动产登记费（住宅）", 8000),
            ("证书工本费（每增加一本）", 1000),
        ),
        result_type="证照",
        result_name="不动产权证书",
        faq=faqs(
            ("必须买卖双方都到场吗？", "需双方到场签字，不能到场的可委托代理人并办理公证。"),
            ("多久能拿到证？", "正常办理 5 个工作日，“带押过户”同样适用。"),
        ),
        form="共有方式（单独所有、共同共有、按份共有）须与合同约定一致。",
        fields=_form(
            _text(
                "propertyCertificateNumber",
                "不动产权证书号",
                required=True,
                max_length=50,
                prefill="BDCQZS",
            ),
            _text("contractNumber", "网签合同备案号", required=True, max_length=30),
            _number("transactionPrice", "成交价格（元）"),
            _select("coOwnership", "共有方式", "单独所有", "共同共有", "按份共有"),
        ),
        templates=["不动产登记申请书", "存量房买卖合同（示范文本）"],
        volume=88000,
        licence=("BDCQZS", "不动产权证书"),
    )
    c.add(
        JC_BDC,
        "GG",
        1002,
        1,
        "不动产登记资料查询",
        themes=["不动产"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=1,
        promised=1,
        legal=["《不动产登记资料查询暂行办法》第十四条"],
        conditions=["权利人查询本人名下不动产登记信息", "利害关系人凭相关证明查询"],
        materials=[id_card(), agent_letter()],
        process=steps(
            ("在线申请", "人脸核验后选择查询范围。", 0), ("出具", "即时出具查询结果证明。", 0)
        ),
        fee=free("依据财税〔2016〕79号，不动产登记资料查询不收取费用。"),
        result_type="证明",
        result_name="不动产登记信息查询结果",
        faq=faqs(
            ("可以查别人的房产吗？", "不可以，除法律规定的利害关系人外只能查询本人名下信息。")
        ),
        form="查询目的须如实选择，查询结果仅限用于申明用途。",
        fields=_form(
            _select("queryPurpose", "查询目的", "本人查询", "诉讼", "继承", "其他"),
            _text("propertyLocation", "不动产坐落", max_length=100),
        ),
        templates=["不动产登记资料查询申请书"],
        volume=156000,
    )
    codes["med_insured"] = c.add(
        JC_YB,
        "GG",
        1101,
        1,
        "城乡居民基本医疗保险参保登记",
        themes=["社会保障", "医疗卫生"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=5,
        promised=1,
        legal=["《中华人民共和国社会保险法》第二十五条", "《西岭省城乡居民基本医疗保险实施办法》"],
        conditions=[
            "本市户籍或持居住证的城乡居民，未参加职工基本医疗保险",
            "新生儿出生后 90 天内可参保",
        ],
        materials=[id_card("参保人（新生儿为监护人）"), hukou("参保人")],
        process=steps(
            ("在线登记", "填写参保信息。", 0), ("缴费", "通过平台或税务渠道缴纳当年度个人缴费。", 1)
        ),
        fee=free("参保登记不收取费用；个人缴费按年度标准另行缴纳。"),
        result_type="登记结果",
        result_name="医疗保险参保登记回执",
        faq=faqs(
            ("新生儿什么时候开始享受待遇？", "出生 90 天内参保缴费的，自出生之日起享受待遇。")
        ),
        form="参保人类别（学生儿童、成年居民）按实际情况选择。",
        fields=_form(
            _text("insuredName", "参保人姓名", required=True, max_length=20),
            _select("insuredCategory", "参保人类别", "学生儿童", "成年居民"),
        ),
        templates=["城乡居民基本医疗保险参保登记表"],
        volume=98000,
    )
    c.add(
        YBJ,
        "GG",
        1102,
        1,
        "医保异地就医备案",
        themes=["医疗卫生", "社会保障"],
        case="immediate",
        online="full_online",
        visits=0,
        statutory=2,
        promised=1,
        legal=[
            "《国家医保局 财政部关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》"
            "（医保发〔2022〕22号）"
        ],
        conditions=["本省参保人员", "异地长期居住、常驻工作或临时外出就医"],
        materials=[
            id_card(),
            m(
                "异地居住或工作承诺书",
                "在线签署个人承诺书即可，无需提供居住证明。",
                formats=["pdf"],
            ),
        ],
        process=steps(
            ("在线备案", "选择备案类型和就医地。", 0),
            ("即时生效", "备案成功后在就医地直接结算。", 0),
        ),
        fee=free("异地就医备案不收取费用。"),
        result_type="备案结果",
        result_name="异地就医备案回执",
        faq=faqs(
            (
                "备案后能在当地所有医院结算吗？",
                "可在就医地已开通跨省直接结算的定点医疗机构直接结算。",
            ),
            ("备案有效期多久？", "长期居住备案长期有效，临时外出备案有效期 6 个月。"),
        ),
        form="就医地须选择到地市级；临时外出就医需填写预计就医时间。",
        fields=_form(
            _select("filingType", "备案类型", "异地长期居住", "常驻异地工作", "临时外出就医"),
            _text("destinationCity", "就医地（地市）", required=True, max_length=30),
            _date("expectedStart", "预计就医开始日期", required=False),
        ),
        templates=["异地就医备案承诺书"],
        volume=420000,
    )
    c.add(
        CL,
        "GG",
        1201,
        1,
        "残疾人证新办",
        themes=["社会救助"],
        online="online_prereview",
        visits=1,
        statutory=30,
        promised=15,
        legal=[
            "《中华人民共和国残疾人保障法》",
            "《中华人民共和国残疾人证管理办法》（残联发〔2017〕29号）",
        ],
        conditions=["具有本省户籍的残疾人", "经指定医疗机构残疾评定符合残疾标准"],
        materials=[
            id_card(),
            hukou(),
            photo("近期 2 寸白底免冠彩色照片。"),
            m("残疾评定表", "由指定评定医院填写，可在平台预约评定。", formats=DOC),
        ],
        process=steps(
            ("申请", "在平台提交申请并预约残疾评定。", 0),
            ("评定", "到指定医院进行残疾评定（可申请上门评定）。", 7),
            ("审核", "县级残联审核评定结果。", 5),
            ("发证", "核发残疾人证（含电子证照），可邮寄送达。", 3),
        ),
        fee=free("依据残联发〔2017〕29号，残疾人证办理不收取费用。"),
        result_type="证照",
        result_name="中华人民共和国残疾人证",
        faq=faqs(("行动不便能上门评定吗？", "重度残疾人可申请医生上门评定，费用由残联承担。")),
        form="监护人代办的须填写与申请人关系。",
        fields=_form(
            _select(
                "disabilityCategory",
                "残疾类别",
                "视力",
                "听力",
                "言语",
                "肢体",
                "智力",
                "精神",
                "多重",
            ),
            _select("homeAssessment", "是否申请上门评定", "否", "是"),
            _text("guardianRelation", "监护人与申请人关系", max_length=20),
        ),
        templates=["残疾人证申请表"],
        volume=14000,
        licence=("CJRZ", "残疾人证"),
    )
    c.add(
        HY_ZWFW,
        "QT",
        1301,
        1,
        "独生子女父母光荣证办理",
        themes=["婚姻生育"],
        online="in_hall",
        visits=1,
        statutory=30,
        promised=15,
        legal=["《西岭省人口与计划生育条例》（2016 年修订前版本）第三十五条"],
        conditions=["2016 年 1 月 1 日前按政策只生育一个子女的夫妻"],
        materials=[
            id_card("夫妻双方"),
            hukou(),
            m("结婚证", "夫妻双方结婚证。", licences=("JHZ",)),
        ],
        process=steps(
            ("申请", "到乡镇（街道）计生办申请。", 0),
            ("审核发证", "县级卫生健康部门审核发证。", 15),
        ),
        fee=free("不收取费用。"),
        result_type="证件",
        result_name="独生子女父母光荣证",
        faq=faqs(("取消后原证还有用吗？", "已领取的光荣证继续作为享受奖励扶助政策的凭证。")),
        form="子女出生日期须与户口簿一致。",
        fields=_form(
            _text("childName", "子女姓名", required=True, max_length=20),
            _date("childBirthDate", "子女出生日期"),
            _text(
                "marriageCertificateNumber",
                "结婚证字号",
                required=True,
                max_length=30,
                prefill="JHZ",
            ),
        ),
        templates=["独生子女父母光荣证申请表"],
        volume=0,
        status="terminated",
        reason=(
            "根据《西岭省人口与计划生育条例》修订，该事项已于 2025 年 12 月 31 日取消，"
            "不再受理新申请。"
        ),
    )


def _bundles(c: _Catalogue, codes: dict[str, str]) -> None:
    c.add(
        JC_ZWFW,
        "GG",
        1401,
        1,
        "新生儿出生一件事",
        themes=["婚姻生育", "户籍办理", "社会保障"],
        online="full_online",
        visits=0,
        statutory=30,
        promised=5,
        legal=[
            "《国务院关于进一步优化政务服务提升行政效能推动“高效办成一件事”的指导意见》（国发〔2024〕3号）",
            "《金城市“一件事一次办”实施方案》",
        ],
        conditions=[
            "新生儿在本市助产机构出生，父母一方为本市户籍",
            "父母双方已完成平台实名认证，持有效居民身份证",
        ],
        materials=[
            id_card("父母双方"),
            m("结婚证", "父母双方结婚证；可关联电子证照。", tolerance=True, licences=("JHZ",)),
            m("出生医学证明首次签发登记表", "出院前由助产机构核对并签字。", formats=["pdf"]),
            photo("新生儿照片，用于社会保障卡制卡，可稍后补充。"),
        ],
        process=steps(
            ("一表申请", "父母在平台填写一张表，一次提交全部材料。", 0),
            ("分送联办", "系统分送卫健、公安、人社、医保部门并行办理。", 1),
            ("并联审批", "出生医学证明、户口登记、社保卡、医保参保同步办理。", 3),
            ("统一送达", "出生医学证明、户口簿、社保卡一次邮寄到家。", 1),
        ),
        fee=free("“一件事”所含事项均不收取费用。"),
        result_type="组合结果",
        result_name="出生医学证明、居民户口簿、社会保障卡、医保参保登记回执",
        faq=faqs(
            ("必须四件事都办吗？", "可按需勾选，未勾选的事项可以以后单独办理。"),
            ("进度在哪里查？", "在“我的办件”中可分别查看各部门办理进度。"),
        ),
        form="新生儿姓名一经提交将同时用于出生医学证明和户口登记，请仔细核对。",
        fields=_form(
            _text("babyName", "新生儿姓名", required=True, max_length=20),
            _date("birthDate", "出生日期"),
            _text("marriageCertificateNumber", "父母结婚证字号", max_length=30, prefill="JHZ"),
            _text("mailingAddress", "证件邮寄地址", required=True, max_length=100),
        ),
        templates=["新生儿出生一件事联办申请表"],
        volume=23000,
        bundle=[
            codes["birth_cert"],
            codes["birth_hukou"],
            codes["si_card"],
            codes["med_insured"],
        ],
    )
    c.add(
        JC_ZWFW,
        "GG",
        1402,
        1,
        "企业开办一件事",
        themes=["企业开办"],
        targets=["company", "person"],
        online="full_online",
        visits=0,
        statutory=3,
        promised=1,
        legal=["《优化营商环境条例》第十九条", "《西岭省企业开办“一网通办”工作规程》"],
        conditions=["投资人、法定代表人完成实名认证", "企业住所位于金城市"],
        materials=[
            id_card("法定代表人及全体股东"),
            m("公司章程", "可使用标准模板在线生成。", formats=["pdf"]),
            m("住所使用证明", "不动产权证书或租赁合同。", licences=("BDCQZS",), formats=DOC),
        ],
        process=steps(
            ("一网申报", "一次填报名称、设立登记、涉税信息。", 0),
            ("并联办理", "市场监管、税务部门同步办理。", 1),
            ("一次领取", "电子营业执照、数电发票即时可用，免费刻制的印章邮寄到家。", 0),
        ),
        fee=free("企业开办全流程不收取费用，首套印章由政府购买服务免费刻制。"),
        result_type="组合结果",
        result_name="营业执照、税务事项通知书",
        faq=faqs(("全程需要几天？", "材料齐全的 1 个工作日内办结。")),
        form="名称、经营范围、股东信息一次填写，自动分送各部门。",
        fields=_form(
            _text("companyName", "企业名称", required=True, max_length=50),
            _number("registeredCapital", "注册资本（万元）"),
            _textarea("businessScope", "经营范围", required=True, max_length=1000),
            _text(
                "premisesCertificateNumber",
                "住所不动产权证书号",
                max_length=50,
                prefill="BDCQZS",
            ),
        ),
        templates=["企业开办一件事申请表"],
        volume=30000,
        bundle=[codes["name_reg"], codes["company_reg"], codes["tax_new"]],
    )


def _fee_simple(c: _Catalogue) -> None:
    """A charged item with one plain PDF material: the easy path to a payment notice (缴款通知书)."""
    c.add(
        JC_GA,
        "GG",
        101,
        3,
        "临时居民身份证申领",
        themes=["户籍办理"],
        online="online_prereview",
        visits=1,
        statutory=3,
        promised=1,
        legal=[_ID_LAW, "《中华人民共和国临时居民身份证管理办法》第五条"],
        conditions=[
            "本市户籍居民，正在申领、换领或补领居民身份证期间急需使用身份证件的",
            "已在平台完成实名认证",
        ],
        materials=[
            m(
                "户籍证明",
                "户籍所在地派出所出具或在平台下载的电子户籍证明，PDF 格式。",
                formats=["pdf"],
            ),
        ],
        process=steps(
            ("网上申请", "在平台填写申请并上传户籍证明，受理后按缴款通知书在线缴纳工本费。", 0),
            ("审核制证", "户籍所在地派出所审核后当场或次日制作临时居民身份证。", 1),
            ("领取证件", "凭身份核验到派出所领取，或选择邮政速递送达。", 0),
        ),
        fee=charged(
            "《国家发展改革委 财政部关于临时居民身份证收费标准的通知》（发改价格〔2005〕436号）："
            "临时居民身份证每证 10 元。",
            ("临时居民身份证工本费", 1000),
        ),
        result_type="证件",
        result_name="中华人民共和国临时居民身份证",
        faq=faqs(
            ("临时居民身份证有效期多久？", "有效期为三个月，自签发之日起计算。"),
            ("工本费怎么交？", "申请受理后平台出具缴款通知书，可在线缴纳，缴费后开始制证。"),
        ),
        form="联系电话用于领证通知；选择邮寄的，请在申请事由中写明收件地址。",
        fields=_form(_text("pickupStation", "领证派出所", required=True, max_length=50)),
        templates=["临时居民身份证申领登记表"],
        volume=6800,
    )


def build_seed() -> list[Item]:
    """Return a fresh copy of the seed catalogue, in seed (change sequence) order."""
    c = _Catalogue()
    codes: dict[str, str] = {}
    codes |= _public_security(c)
    codes |= _social_security(c)
    _civil_affairs(c)
    _housing_fund(c)
    _market(c, codes)
    _health_education_transport(c, codes)
    _tax_property_health_insurance(c, codes)
    _bundles(c, codes)
    _fee_simple(c)
    return c.items
