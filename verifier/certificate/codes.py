"""Code lists and check-character rules the certificate model validates against.

Kept apart from the model because they are data, and because the seal reuses the HS code packing.
"""

from __future__ import annotations

import operator
import re
from functools import lru_cache

# The schemes' ids (verifier.certificate.model.Scheme's values), for what names a scheme without the model.
SCHEME_IDS = ("zhejiang-made", "international-cooperation", "ccc-exemption", "ccc-self-declaration")

# ISO 3166-1 alpha-2, officially assigned codes.
COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
    BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI
    FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN
    IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
    PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE
    YT ZA ZM ZW
    """.split()
)

# ISO 4217 active currency codes.
CURRENCIES = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
    CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD
    HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD
    LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK
    PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS
    TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)

# GB 32100-2015: the unified social credit code. 18 characters from a 31-character alphabet
# (no I, O, S, V, Z); the last one is a check character over the first 17 with these weights.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_VALUE = {c: i for i, c in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE_SHAPE = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}")


def credit_code_check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(map(operator.mul, map(_CREDIT_CODE_VALUE.__getitem__, first17), _CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` is not a unified social credit code, or None when it is one."""
    if len(code) != 18:
        return "must be 18 characters"
    if not _CREDIT_CODE_SHAPE.fullmatch(code):
        return "has a character outside the GB 32100 alphabet (0-9 and A-Y without I, O, S, V, Z, upper case)"
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]!r}, GB 32100 gives {expected!r}"
    return None


# HS codes: a 4-digit heading, optionally refined to 6, 8 or 10 digits. Written with a dot after the
# heading and after each further pair ("8516", "8516.79", "8516.79.10", "8516.79.10.00").
_HS_DOTTED = re.compile(r"\d{4}(?:\.\d{2}){0,3}")
_HS_PLAIN = re.compile(r"\d{4}(?:\d{2}){0,3}")


def normalize_hs_code(text: str) -> str | None:
    """``text`` in the canonical dotted form, or None when it is not an HS code (chapter 01-97)."""
    if _HS_DOTTED.fullmatch(text):
        digits = text.replace(".", "")
    elif _HS_PLAIN.fullmatch(text):
        digits = text
    else:
        return None
    if not 1 <= int(digits[:2]) <= 97:
        return None
    return hs_code_from_digits(digits)


def hs_code_from_digits(digits: str) -> str:
    """The dotted form of an HS code given as 4, 6, 8 or 10 digits."""
    return ".".join([digits[:4], *(digits[i : i + 2] for i in range(4, len(digits), 2))])


def hs_code_to_int(code: str) -> int:
    """A canonical HS code packed as an integer (its digits; the length is restored by padding to even)."""
    return int(code.replace(".", ""))


@lru_cache(maxsize=8192)  # a few thousand HS subheadings exist; every scan unpacks one or more
def hs_code_from_int(value: int) -> str | None:
    """Inverse of :func:`hs_code_to_int`, or None when ``value`` is no packed HS code."""
    for width in (4, 6, 8, 10):
        if value < 10**width:
            break
    else:
        return None
    if not 1 <= value // 10 ** (width - 2) <= 97:
        return None
    digits = f"{value:0{width}d}"
    if width == 6:
        return f"{digits[:4]}.{digits[4:]}"
    return hs_code_from_digits(digits)


# UN/LOCODE: a country code and three letters or digits 2-9.
_LOCODE = re.compile(r"[A-Z]{2}[A-Z2-9]{3}")


def locode_problem(code: str) -> str | None:
    """Why ``code`` is not a UN/LOCODE, or None when it is one."""
    if not _LOCODE.fullmatch(code):
        return "must be a UN/LOCODE: 2-letter country and 3 letters or digits 2-9, e.g. CNNGB"
    if code[:2] not in COUNTRIES:
        return f"country part {code[:2]!r} is not an ISO 3166-1 alpha-2 code"
    return None


# Chinese ports of entry by UN/LOCODE, with their names in Chinese and as UN/LOCODE writes them:
# where CCC-exempt goods are declared most. A port not listed is shown by its code alone.
PORTS = {
    "CNBJS": ("北京", "Beijing"), "CNCAN": ("广州", "Guangzhou"), "CNCKG": ("重庆", "Chongqing"),
    "CNCTU": ("成都", "Chengdu"), "CNDLC": ("大连", "Dalian"), "CNFOC": ("福州", "Fuzhou"),
    "CNHGH": ("杭州", "Hangzhou"), "CNHUA": ("黄埔", "Huangpu"), "CNJIU": ("九江", "Jiujiang"),
    "CNLYG": ("连云港", "Lianyungang"), "CNNGB": ("宁波", "Ningbo"), "CNNKG": ("南京", "Nanjing"),
    "CNPEK": ("北京首都国际机场", "Beijing Capital International Apt"),
    "CNPVG": ("上海浦东国际机场", "Shanghai Pudong International Apt"),
    "CNSHA": ("上海", "Shanghai"), "CNSHK": ("蛇口", "Shekou"), "CNSZX": ("深圳", "Shenzhen"),
    "CNTAO": ("青岛", "Qingdao"), "CNTSN": ("天津", "Tianjin"), "CNTXG": ("天津新港", "Tianjinxingang"),
    "CNWNZ": ("温州", "Wenzhou"), "CNWUH": ("武汉", "Wuhan"), "CNXMN": ("厦门", "Xiamen"),
    "CNYIW": ("义乌", "Yiwu"), "CNYTN": ("盐田", "Yantian"), "CNZHA": ("湛江", "Zhanjiang"),
    "CNZOS": ("舟山", "Zhoushan"), "CNZUH": ("珠海", "Zhuhai"),
}  # fmt: skip
