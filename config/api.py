"""The JSON API root: /api/v1/, OpenAPI at /api/v1/openapi.json, interactive docs at /api/v1/docs.

Authentication, error answers and pagination are shared by every app (yizheng.core.api); each app adds its
router here. After an intended API change, refresh the committed snapshot: scripts/update-openapi-snapshot.sh
"""

from django.utils.translation import gettext_lazy as _

from yizheng.core.api import build_api
from yizheng.followups.api import router as followups_router
from yizheng.org.api import router as org_router
from yizheng.proposals.api import router as proposals_router
from yizheng.proposals.api_selection import router as selections_router

api = build_api(
    title="Yizheng API",
    version="1",
    urls_namespace="api",
    description=_(
        "议政平台数据接口。浏览器使用登录会话(修改类请求须带 X-CSRFToken 请求头);"
        "系统对接使用接口令牌:请求头 Authorization: Bearer <令牌>,令牌由系统管理员签发。"
        '列表接口以 limit / offset 分页,返回总数 count。出错时返回 {"detail": 说明, "errors": {字段: [说明]}}。'
    ),
)
api.add_router("", org_router)
api.add_router("", proposals_router)
api.add_router("", selections_router)
api.add_router("", followups_router)
