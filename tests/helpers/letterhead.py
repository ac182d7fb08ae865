"""A letterhead with every field filled, as the render tests print it."""

from __future__ import annotations

from verifier.demo.certificates import demo_stamp
from verifier.paper.letterhead import Letterhead
from verifier.paper.stamps import checked_stamp

ISSUER = Letterhead(
    "zjcert", "浙江省产品认证中心", "Zhejiang Product Certification Centre", address="浙江省杭州市西湖区文三路90号",
    address_en="90 Wensan Road, Xihu District, Hangzhou, Zhejiang, China",
    contact="+86 571 8765 4321 · cert@zjcert.example", accreditation="CNAS C123-P", signatory="王建国 WANG Jianguo",
    signatory_title="认证部主任", signatory_title_en="Head of Certification", stamp=checked_stamp(demo_stamp()),
)  # fmt: skip
