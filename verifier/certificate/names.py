"""What the codes of a certificate are called, in Chinese and English.

The schemes' titles, the exemption purposes, the units of quantity. The PDF prints them; the spec's
tables (and so the JavaScript verifier) carry them.
"""

from __future__ import annotations

from verifier.certificate.model import ExemptionPurpose, QuantityUnit

TITLES = {
    "zhejiang-made": ("浙江制造认证证书", "Zhejiang Made Certificate"),
    "international-cooperation": ("国际合作认证证书", "International Cooperation Certificate"),
    "ccc-exemption": ("免予办理强制性产品认证证明", "CCC Exemption Certificate"),
    "ccc-self-declaration": ("强制性产品认证自我声明", "CCC Self-Declaration"),
}
EXEMPTION_PURPOSES = {
    ExemptionPurpose.RESEARCH_AND_DEVELOPMENT.value: "科研测试 Research and development",
    ExemptionPurpose.CERTIFICATION_TESTING.value: "认证测试 Certification testing",
    ExemptionPurpose.PRODUCTION_LINE_PARTS.value: "整机生产零部件 Parts for production lines",
    ExemptionPurpose.EXHIBITION.value: "展览 Exhibition",
    ExemptionPurpose.AFTER_SALES_REPAIR.value: "售后维修 After-sales repair",
    ExemptionPurpose.RE_EXPORT.value: "复运出口 Re-export",
    ExemptionPurpose.OTHER.value: "其他 Other",
}
UNITS = {
    QuantityUnit.PIECES.value: "件 pieces",
    QuantityUnit.SETS.value: "套 sets",
    QuantityUnit.UNITS.value: "台 units",
    QuantityUnit.PAIRS.value: "双 pairs",
    QuantityUnit.KILOGRAMS.value: "千克 kg",
    QuantityUnit.METRES.value: "米 m",
    QuantityUnit.LITRES.value: "升 l",
}
