"""Demo proposals: the 2026 proposal year of 示例市政协 (六届五次会议 and the interim months after it).

About three hundred proposals are received — most in the plenary window (December 2025 to the plenary's third
day), the rest during the year — and every one reaches its state through the proposal services, so the events, the
audit chain, case numbers and deadlines are the real ones. Each proposal follows a script (draft → co-signing →
submit → review → assignment → handling → reply → evaluation → closing), stopping at its planned fate; the scripts
run interleaved in date order on a demo clock, so the audit trail reads forward in time.

What depends on time is placed relative to the day the demo is loaded: assignments that are new, in handling, due
soon or overdue, pending adjustment and extension requests, replies waiting for review or for their ratings, and
rehandling. Closed proposals follow the plenary calendar. Loaded on the same day, two loads give the same data.

Members who submit, co-sign or rate need an account (with the member role); units that handle need a liaison.
They are created on first use with an unusable password: only the named demo accounts can sign in.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
import heapq
import itertools
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from django.utils import timezone

from yizheng.audit.services import event_record
from yizheng.org.demo import TZ, DemoContext, register_step
from yizheng.org.models import Member, Membership, Organization, Role, Unit, User
from yizheng.org.services import role_grant, user_create

from . import services as s
from .models import Assignment, Category, CoSignature, Countersignature, Evaluation, Proposal
from .workflow import Disposition, EvaluationStatus, Kind, Rating

# --- the demo clock ----------------------------------------------------------------------------------------


class DemoClock:
    """The services' `timezone.now()` while the scripts run: set to each step's planned moment."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def set(self, moment: dt.datetime) -> None:
        self.now = max(self.now, moment)  # never backwards: the audit trail reads forward


@contextmanager
def clock_patched(clock: DemoClock) -> Iterator[DemoClock]:
    """Every `timezone.now()` (services, auto_now fields, the audit store) and so `localdate()` read the clock."""
    with mock.patch.object(timezone, "now", side_effect=lambda: clock.now.astimezone(dt.UTC)):
        yield clock


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def months_before(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.month - 1 - months, 12)
    year += day.year
    month = month0 + 1
    return dt.date(year, month, min(day.day, stdlib_calendar.monthrange(year, month)[1]))


# --- the texts ---------------------------------------------------------------------------------------------

PLACES = ("我市", "中心城区", "江城区", "东湖区", "南岸区", "西山区", "示例县", "示例经开区")
MORE_PLACES = ("示例区", "滨江新区", "城乡结合部", "示例县城关镇", "主城区", "高新技术开发区")


@dataclass(frozen=True)
class Topic:
    key: str
    titles: tuple[str, ...]  # "{place}" is filled in
    category: str
    lead: tuple[str, ...]  # candidate lead units
    co: tuple[str, ...]  # candidate co units
    tags: tuple[str, ...]
    reason: str
    analysis: tuple[str, ...]
    suggestions: tuple[str, ...]
    commitments: tuple[str, ...]


TOPICS = (
    Topic(
        "elevator",
        ("关于加快推进{place}老旧小区加装电梯工作的提案", "关于完善{place}既有住宅加装电梯协商机制的提案",
         "关于简化{place}老旧小区加装电梯审批流程的提案"),
        "社会建设", ("市住房和城乡建设局",), ("市自然资源和规划局", "市市场监督管理局"), ("老旧小区", "加装电梯", "民生"),
        "{place}建成于上世纪八九十年代的多层住宅普遍没有电梯,老年居民上下楼困难,加装电梯是群众反映最集中的诉求之一。",
        ("截至目前,{place}列入改造计划的老旧小区共{n}个,已加装电梯的不足{pct}%。",
         "低层住户意见难统一、资金分摊无标准、审批环节多、后期维保责任不清,是加装推进缓慢的主要原因。",
         "部分已加装的电梯因维保费用无人承担,出现停运现象。"),
        ("制定加装电梯费用分摊指导标准,明确楼层系数和补偿办法", "推行“一站式”联合审批,将审批时限压缩至20个工作日以内",
         "发挥社区议事会作用,建立低层住户利益协调机制", "探索“以租代购”等模式,引入社会资本参与建设和维保",
         "将加装电梯纳入老旧小区改造整体规划,同步实施管线迁改"),
        ("出台既有住宅加装电梯费用分摊指导意见", "完成年度加装电梯目标任务并开展维保情况检查"),
    ),
    Topic(
        "water_pipes",
        ("关于加快{place}供水管网更新改造的提案", "关于降低{place}公共供水管网漏损率的提案",
         "关于解决{place}高层住宅二次供水水压不足问题的提案"),
        "社会建设", ("市水利和湖泊局",), ("示例水务集团", "市住房和城乡建设局"), ("供水管网", "城市更新"),
        "{place}部分供水管网建成年代久远,管材老化、漏损严重,爆管停水时有发生,影响群众正常生活。",
        ("据统计,{place}使用年限超过30年的供水管道约{n}公里,管网漏损率高于国家标准{pct}个百分点。",
         "二次供水设施产权分散、管理主体不明,水质和水压问题投诉较多。"),
        ("编制供水管网更新改造三年行动计划,优先改造灰口铸铁管等老旧管材", "推进分区计量管理,建立漏损监测预警平台",
         "推行二次供水设施统建统管,明确供水企业管理责任", "争取中央和省级专项资金,拓宽改造资金来源"),
        ("完成老旧供水管网改造并公布漏损率", "建成供水管网分区计量监测平台"),
    ),
    Topic(
        "school_traffic",
        ("关于加强{place}中小学生上下学交通安全管理的提案", "关于缓解{place}学校周边上下学交通拥堵的提案",
         "关于规范{place}学生接送车辆管理的提案"),
        "社会建设", ("市教育局",), ("市公安局交通管理局", "市城市管理执法委员会"), ("校园安全", "交通安全", "教育"),
        "上下学时段,{place}不少学校周边人车混行、违停严重,学生交通安全隐患突出,家长和社会高度关注。",
        ("{place}共有中小学{n}所,其中约{pct}%位于主干道旁,高峰时段拥堵明显。",
         "部分学校没有设置接送区和临时停车位,电动自行车接送无序。"),
        ("在学校周边设置护学岗和限时停车接送区", "推广“错峰放学+弹性离校”做法,分散接送高峰",
         "完善学校周边交通标志标线和减速设施", "将交通安全教育纳入开学第一课,并开展家校共育"),
        ("在中小学周边全部设置护学岗和接送区", "完成学校周边交通设施排查整改"),
    ),
    Topic(
        "after_school",
        ("关于提升{place}中小学课后服务质量的提案", "关于将社会优质资源引入{place}校内课后服务的提案"),
        "社会建设", ("市教育局",), ("市财政局", "市体育局"), ("课后服务", "双减", "教育"),
        "“双减”政策实施以来,{place}课后服务实现全覆盖,但服务内容单一、教师负担加重等问题逐渐显现。",
        ("调查显示,{place}约{pct}%的课后服务以作业辅导为主,科技、体育、艺术类课程占比偏低。",
         "教师参与课后服务的补助标准偏低,积极性不高。"),
        ("建立课后服务课程资源库,引入科普、体育、艺术等社会资源", "完善课后服务经费保障和教师补助机制",
         "开展课后服务质量评价,将家长满意度作为重要指标"),
        ("建成全市课后服务课程资源库", "出台课后服务教师补助办法"),
    ),
    Topic(
        "preschool",
        ("关于扩大{place}普惠性学前教育资源供给的提案", "关于加强{place}普惠性幼儿园师资队伍建设的提案"),
        "社会建设", ("市教育局",), ("市财政局", "市住房和城乡建设局"), ("学前教育", "普惠", "教育"),
        "随着城市扩展,{place}新建小区配套幼儿园建设滞后,“入园难、入园贵”问题在部分片区仍然存在。",
        ("{place}普惠性幼儿园覆盖率为{pct}%,距省定目标尚有差距。",
         "民办普惠园教师工资待遇偏低,流动性大。"),
        ("严格落实城镇小区配套幼儿园规划、建设、移交、办园“四同步”", "提高普惠性民办幼儿园生均补助标准",
         "建立幼儿园教师工资保障长效机制"),
        ("新增普惠性学位并完成小区配套幼儿园移交", "提高普惠性民办幼儿园生均补助标准"),
    ),
    Topic(
        "vocational",
        ("关于深化{place}职业教育产教融合的提案", "关于支持{place}职业院校开设新能源相关专业的提案"),
        "经济建设", ("市教育局",), ("市人力资源和社会保障局", "市经济和信息化局"), ("职业教育", "产教融合", "教育"),
        "{place}产业升级对技术技能人才需求旺盛,但职业院校专业设置与产业需求衔接不够紧密。",
        ("{place}职业院校毕业生本地就业率约{pct}%,重点企业技能人才缺口约{n}人。",
         "企业参与办学的积极性不高,实训基地建设相对滞后。"),
        ("建立专业设置与产业需求动态调整机制", "支持龙头企业与职业院校共建产业学院和实训基地",
         "落实产教融合型企业税费优惠政策"),
        ("新设新能源、智能制造等紧缺专业", "认定一批市级产教融合实训基地"),
    ),
    Topic(
        "mental_health",
        ("关于加强{place}青少年心理健康服务的提案", "关于构建{place}家校医协同心理健康工作机制的提案"),
        "社会建设", ("市教育局",), ("市卫生健康委员会", "共青团示例市委员会"), ("心理健康", "青少年", "教育"),
        "近年来青少年心理健康问题呈上升趋势,{place}学校心理健康教育力量薄弱,专业服务资源不足。",
        ("{place}中小学专职心理教师配备率仅为{pct}%。", "学校、家庭、医疗机构之间缺乏有效的转介衔接。"),
        ("按标准配齐中小学专职心理健康教师", "建立学校与精神卫生专科机构的绿色转介通道",
         "开通24小时青少年心理援助热线"),
        ("实现中小学专职心理教师全覆盖", "建立家校医协同转介机制"),
    ),
    Topic(
        "battery",
        ("关于推动{place}新型电池产业集群发展的提案", "关于加快{place}储能电池产业链补链强链的提案",
         "关于建设{place}动力电池回收利用体系的提案"),
        "经济建设", ("市经济和信息化局",), ("市发展和改革委员会", "市科学技术局", "市商务局"), ("新能源", "新型电池", "产业"),
        "新型电池产业是{place}重点培育的战略性新兴产业,具备一定基础,但产业链条短、配套不足、创新能力不强。",
        ("{place}现有电池及材料企业{n}家,规模以上企业产值年均增长{pct}%。",
         "正负极材料、隔膜等关键环节仍依赖外地供应,退役电池回收利用体系尚未建立。"),
        ("编制新型电池产业链图谱,实施精准招商", "支持企业与高校共建研发平台,攻关关键材料技术",
         "布局退役动力电池梯次利用和再生利用项目", "设立产业引导基金,支持中小企业专精特新发展"),
        ("完成新型电池产业链招商项目签约", "建成退役动力电池回收服务网点"),
    ),
    Topic(
        "rural_roads",
        ("关于加强{place}农村公路养护管理的提案", "关于推进{place}“四好农村路”高质量发展的提案",
         "关于提升{place}乡村道路安全防护水平的提案"),
        "经济建设", ("市交通运输局",), ("市农业农村局", "市财政局"), ("乡村振兴", "农村公路"),
        "{place}农村公路里程长、等级低,部分路段重建轻养,路面破损、安全设施缺失等问题突出。",
        ("{place}农村公路总里程约{n}公里,其中约{pct}%路况等级为中等以下。",
         "临水临崖路段防护设施不足,交通事故时有发生。"),
        ("落实农村公路养护资金,建立“县道县管、乡道乡管、村道村管”责任体系", "实施临水临崖路段安全生命防护工程",
         "推广“路长制”,将养护成效纳入乡村振兴考核"),
        ("完成农村公路危险路段防护工程", "全面推行农村公路路长制"),
    ),
    Topic(
        "elderly_care",
        ("关于完善{place}社区居家养老服务体系的提案", "关于推进{place}医养结合发展的提案",
         "关于加快{place}老年助餐服务网点建设的提案"),
        "社会建设", ("市民政局",), ("市卫生健康委员会", "市医疗保障局"), ("养老服务", "民生"),
        "{place}60岁以上老年人口占比已达{pct}%,居家养老需求快速增长,社区养老服务供给不足。",
        ("{place}社区养老服务设施覆盖率偏低,部分设施利用率不高。", "失能半失能老人照护资源紧缺,医养结合机构数量少。"),
        ("按每百户不少于20平方米标准配建社区养老服务用房", "推广“中心食堂+助餐点”模式,扩大老年助餐覆盖面",
         "支持医疗机构与养老机构签约合作,开展家庭病床服务", "加强养老护理员培训,落实岗位补贴"),
        ("新建社区老年助餐点", "完成社区养老服务设施配建情况排查"),
    ),
    Topic(
        "waste",
        ("关于推进{place}生活垃圾分类工作的提案", "关于加强{place}垃圾焚烧发电厂环境监管的提案",
         "关于完善{place}餐厨垃圾收运处置体系的提案"),
        "生态文明建设", ("市城市管理执法委员会",), ("市生态环境局", "市发展和改革委员会"), ("垃圾分类", "垃圾焚烧", "生态环境"),
        "{place}生活垃圾产生量逐年增加,焚烧处理设施满负荷运行,分类收运体系还不完善,群众对焚烧厂周边环境较为关注。",
        ("{place}日均生活垃圾产生量约{n}吨,其中厨余垃圾占比约{pct}%。",
         "“前端分、后端混”现象仍然存在,焚烧厂排放数据公开不够充分。"),
        ("完善分类投放、分类收集、分类运输、分类处理全链条体系", "焚烧厂排放数据实时公开,定期开展公众开放日",
         "建设餐厨垃圾集中处理设施,规范收运企业管理", "将垃圾分类纳入社区治理和文明创建考评"),
        ("焚烧厂在线监测数据向社会实时公开", "建成餐厨垃圾集中处理设施"),
    ),
    Topic(
        "employment",
        ("关于做好{place}高校毕业生就业工作的提案", "关于促进{place}灵活就业人员权益保障的提案",
         "关于加强{place}零工市场建设的提案"),
        "社会建设", ("市人力资源和社会保障局",), ("市教育局", "市总工会", "市财政局"), ("就业", "民生"),
        "就业是最基本的民生。{place}高校毕业生人数创新高,灵活就业人员增长较快,就业结构性矛盾突出。",
        ("{place}今年高校毕业生约{n}人,本地留存率约{pct}%。", "灵活就业人员参加社会保险比例偏低,权益保障不足。"),
        ("搭建校企供需对接平台,常态化开展专场招聘", "建设标准化零工市场,提供岗位发布和技能培训",
         "落实灵活就业人员社保补贴政策", "扩大见习岗位规模,提高见习补贴标准"),
        ("建成市级标准化零工市场", "开展高校毕业生专场招聘活动"),
    ),
    Topic(
        "water_quality",
        ("关于加强{place}饮用水水源地保护的提案", "关于推进{place}湖泊水质提升的提案",
         "关于加强{place}农业面源污染治理保护水质的提案"),
        "生态文明建设", ("市生态环境局",), ("市水利和湖泊局", "市农业农村局"), ("水质保护", "生态环境"),
        "{place}饮用水水源地和重点湖泊水质总体稳定,但部分支流和湖汊受面源污染影响,水质时有波动。",
        ("监测显示,{place}{n}个重点湖泊中有{pct}%水质未达到功能区标准。",
         "水源保护区内违规养殖、农药化肥流失等问题依然存在。"),
        ("开展饮用水水源保护区规范化建设和违规问题清理整治", "推广测土配方施肥和生态拦截沟渠,减少面源污染",
         "建立湖泊水质在线监测和信息公开制度", "落实河湖长制,压实属地管护责任"),
        ("完成水源保护区违规问题整治", "建设重点湖泊水质在线监测站"),
    ),
    Topic(
        "parking",
        ("关于破解{place}老城区停车难问题的提案", "关于推进{place}公共停车设施建设的提案"),
        "社会建设", ("市城市管理执法委员会",), ("市公安局交通管理局", "市住房和城乡建设局", "市自然资源和规划局"), ("停车", "城市管理"),
        "{place}机动车保有量持续增长,老城区停车泊位缺口大,占道停车、乱停乱放影响道路通行。",
        ("{place}机动车保有量约{n}万辆,停车泊位与车辆比不足{pct}%。", "机关、企事业单位停车场夜间闲置,共享程度低。"),
        ("利用边角地、闲置地建设立体停车设施", "推动机关企事业单位停车场错时向社会开放", "建设全市智慧停车平台,实现泊位信息实时查询"),
        ("新增公共停车泊位", "建成智慧停车信息平台"),
    ),
    Topic(
        "business",
        ("关于进一步优化{place}营商环境的提案", "关于缓解{place}中小微企业融资难的提案"),
        "经济建设", ("市地方金融管理局", "市市场监督管理局"), ("市发展和改革委员会", "市财政局"), ("营商环境", "民营经济"),
        "民营企业是{place}经济发展的重要力量,融资难融资贵、涉企检查多等问题仍不同程度存在。",
        ("{place}中小微企业贷款平均利率高于大型企业约{pct}个百分点。", "部分惠企政策知晓率低、兑现慢。"),
        ("设立政府性融资担保基金,扩大担保覆盖面", "推行涉企检查“综合查一次”", "建设惠企政策“免申即享”平台"),
        ("上线惠企政策“免申即享”平台", "扩大政府性融资担保业务规模"),
    ),
    Topic(
        "culture",
        ("关于加强{place}历史文化街区保护利用的提案", "关于推动{place}文旅深度融合发展的提案"),
        "文化建设", ("市文化和旅游局",), ("市自然资源和规划局", "市住房和城乡建设局"), ("文化旅游", "历史文化"),
        "{place}历史文化资源丰富,但部分历史建筑保护不力,文旅融合产品不多,品牌影响力不强。",
        ("{place}现有历史建筑{n}处,约{pct}%存在不同程度的损毁。", "文旅项目同质化明显,夜间经济和研学产品不足。"),
        ("开展历史建筑普查建档和挂牌保护", "打造历史文化街区特色文旅线路", "培育研学旅行基地,丰富夜间文旅消费场景"),
        ("完成历史建筑普查建档挂牌", "推出特色文旅精品线路"),
    ),
    Topic(
        "rural_environment",
        ("关于推进{place}农村生活污水治理的提案", "关于提升{place}农村人居环境整治水平的提案"),
        "生态文明建设", ("市农业农村局",), ("市生态环境局", "市住房和城乡建设局"), ("乡村振兴", "人居环境"),
        "{place}农村人居环境明显改善,但农村生活污水治理率偏低,已建设施“晒太阳”现象时有发生。",
        ("{place}农村生活污水治理率约{pct}%,部分设施运行不正常。", "农村厕所改造后续管护机制不健全。"),
        ("按照“宜集则集、宜分则分”原则推进农村生活污水治理", "建立治理设施第三方运维和考核机制", "完善农村改厕后续管护服务体系"),
        ("完成农村生活污水治理设施运行情况排查", "建立第三方运维考核机制"),
    ),
    Topic(
        "fitness",
        ("关于完善{place}全民健身公共服务设施的提案", "关于推动{place}学校体育场馆向社会开放的提案"),
        "社会建设", ("市体育局",), ("市教育局", "市园林和林业局"), ("全民健身", "体育"),
        "群众健身需求日益增长,{place}健身场地设施总量不足、分布不均,“健身去哪儿”问题较为突出。",
        ("{place}人均体育场地面积为{n}平方米,低于全省平均水平。", "学校体育场馆开放比例约{pct}%,开放时段有限。"),
        ("利用公园绿地、城市边角地建设口袋体育公园", "推动具备条件的学校体育场馆错时开放,购买公众责任险",
         "建设全民健身智慧服务平台"),
        ("新建口袋体育公园", "推动学校体育场馆错时开放"),
    ),
    Topic(
        "digital_gov",
        ("关于深化{place}政务服务“一网通办”的提案", "关于提升{place}“高效办成一件事”水平的提案"),
        "政治建设", ("市数据局",), ("市市场监督管理局", "市人力资源和社会保障局"), ("数字政府", "政务服务"),
        "{place}政务服务数字化水平不断提高,但部门数据共享不充分,部分事项仍需群众重复提交材料。",
        ("{place}政务服务事项网上可办率达{pct}%,但全程网办比例偏低。", "基层窗口人员对系统操作不熟,适老化服务不足。"),
        ("打通部门数据壁垒,推行证照“免提交”", "梳理高频事项,推出更多“一件事一次办”", "保留线下窗口并提供适老化帮办代办服务"),
        ("新增“一件事一次办”事项", "实现高频证照免提交"),
    ),
    Topic(
        "food_safety",
        ("关于加强{place}校园食品安全监管的提案", "关于推进{place}“明厨亮灶”工程的提案"),
        "社会建设", ("市市场监督管理局",), ("市教育局", "市卫生健康委员会"), ("食品安全", "校园安全"),
        "食品安全关系群众身体健康,{place}学校食堂和校外供餐单位点多面广,监管难度较大。",
        ("{place}学校食堂“明厨亮灶”覆盖率约{pct}%。", "部分校外供餐企业冷链运输和留样管理不规范。"),
        ("实现学校食堂“互联网+明厨亮灶”全覆盖", "落实校领导陪餐制度和家长委员会参与监督", "加强校外供餐企业准入和飞行检查"),
        ("实现学校食堂“明厨亮灶”全覆盖", "开展校外供餐企业专项检查"),
    ),
    Topic(
        "bus",
        ("关于优化{place}公交线网布局的提案", "关于提升{place}公共交通出行分担率的提案"),
        "社会建设", ("市交通运输局",), ("示例公交集团", "示例地铁集团"), ("公共交通", "出行"),
        "{place}公交线网与轨道交通衔接不畅,部分新建小区公交覆盖不足,市民“最后一公里”出行不便。",
        ("{place}公交站点500米覆盖率约{pct}%。", "部分线路重复率高,而新建片区缺少线路。"),
        ("开展公交线网优化调整,减少重复线路", "开通社区微循环公交,接驳地铁站点", "完善公交专用道和港湾式停靠站建设"),
        ("开通社区微循环公交线路", "完成公交线网优化调整"),
    ),
    Topic(
        "gas_safety",
        ("关于加强{place}城镇燃气安全管理的提案", "关于推进{place}老旧燃气管道更新改造的提案"),
        "社会建设", ("市住房和城乡建设局",), ("示例燃气集团", "市应急管理局"), ("燃气安全", "安全生产"),
        "燃气安全事关群众生命财产安全,{place}部分老旧燃气管道和餐饮场所用气存在安全隐患。",
        ("{place}需更新改造的老旧燃气管道约{n}公里。", "餐饮场所燃气泄漏报警装置安装率约{pct}%。"),
        ("加快老旧燃气管道更新改造", "推动餐饮场所全面安装燃气泄漏报警和自动切断装置", "开展燃气安全进社区宣传"),
        ("完成老旧燃气管道更新改造年度任务", "餐饮场所燃气报警装置安装全覆盖"),
    ),
    Topic(
        "accessibility",
        ("关于加强{place}无障碍环境建设的提案", "关于促进{place}残疾人就业的提案"),
        "社会建设", ("市住房和城乡建设局", "市民政局"), ("市残疾人联合会", "市人力资源和社会保障局"), ("无障碍", "残疾人"),
        "{place}无障碍设施建设取得进展,但盲道被占、坡道不连续等问题较为普遍,残疾人就业渠道较窄。",
        ("{place}持证残疾人约{n}人,就业率约{pct}%。", "部分公共建筑无障碍设施不达标或缺乏维护。"),
        ("开展无障碍设施专项排查整改", "落实按比例安排残疾人就业制度", "支持残疾人辅助性就业机构发展"),
        ("完成无障碍设施专项排查整改", "新建残疾人辅助性就业机构"),
    ),
    Topic(
        "primary_care",
        ("关于提升{place}基层医疗卫生服务能力的提案", "关于做实{place}家庭医生签约服务的提案"),
        "社会建设", ("市卫生健康委员会",), ("市医疗保障局", "市人力资源和社会保障局"), ("基层医疗", "卫生健康"),
        "{place}基层医疗机构服务能力不强,群众“小病进大医院”现象仍然突出,分级诊疗推进缓慢。",
        ("{place}基层医疗机构诊疗量占比约{pct}%。", "家庭医生签约“签而不约”,履约率不高。"),
        ("推进紧密型城市医疗集团建设,下沉优质医疗资源", "提高家庭医生签约服务费标准,完善考核激励",
         "落实基层医疗机构医保报销倾斜政策"),
        ("组建紧密型城市医疗集团", "提高家庭医生签约服务履约率"),
    ),
)  # fmt: skip
TOPIC_BY_KEY = {t.key: t for t in TOPICS}
EDUCATION = ("school_traffic", "after_school", "preschool", "vocational", "mental_health")
EDU_UNIT = "市教育局"


def _html(*paragraphs: str) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


NUMERALS = "一二三四五六七八九十"


# --- the plan ----------------------------------------------------------------------------------------------

# fate → how many proposals end there (each proposal is planned with one fate)
RECEIVED_FATES: dict[str, int] = {
    # review
    "review": 12, "returned_draft": 3, "withdrawn": 5, "declined": 16, "merge_group": 5,  # groups of 3
    # filed
    "to_assign": 6, "new": 8, "handling": 22, "due_soon": 6, "overdue": 7, "overdue_old": 2,
    "adjust_pending": 3, "adjust_granted": 2, "adjust_refused": 2,
    "ext_pending": 3, "ext_granted": 3, "ext_refused": 2,
    "countersigning": 3, "under_review": 6, "reply_returned": 2,
    "replied": 14, "rehandling": 4, "closed_rehandled": 8, "closed": 140,
}  # fmt: skip
TIME_DEPENDENT = (
    "review", "returned_draft", "to_assign", "new", "handling", "due_soon", "overdue", "adjust_pending",
    "adjust_granted", "adjust_refused", "ext_pending", "ext_granted", "ext_refused", "countersigning",
    "under_review", "reply_returned", "replied", "rehandling",
)  # fmt: skip
# The unit liaison demo account (市教育局) gets work in every bucket of its inbox.
EDU_FATES = ("new", "handling", "handling", "due_soon", "overdue", "rehandling", "adjust_pending", "ext_pending",
             "under_review", "replied", "closed", "closed", "closed")  # fmt: skip


@dataclass
class Plan:
    n: int
    fate: str
    topic: Topic
    title: str
    place: str
    kind: str
    lead: Member | None = None
    organization: Organization | None = None
    cosigners: list[Member] = field(default_factory=list)
    plenary_window: bool = True
    submit: dt.date | None = None  # planned submission day
    assign: dt.date | None = None  # planned assignment day (filed fates)
    lead_unit: str = ""
    co_units: list[str] = field(default_factory=list)
    separate_units: list[str] = field(default_factory=list)
    result: str = "A"
    key: bool = False
    returned_once: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class ProposalYear:
    """Plans the year, then runs every proposal's script on the demo clock."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.today = timezone.localdate()
        self.plenary = [
            p for p in ctx.plenaries if p.start_date <= max(self.today, ctx.plenaries[0].start_date)
        ][-1]
        self.city = ctx.city
        self.staff = ctx.users["staff"]
        self.supervisor = ctx.users["supervisor"]
        self.leader = ctx.users["leader"]
        self.demo_member = Member.objects.get(user=ctx.users["member"])
        self.accounts: dict[int, User] = {self.demo_member.pk: ctx.users["member"]}
        self.unit_users: dict[str, User] = {EDU_UNIT: ctx.users["liaison"]}
        self.agents: dict[int, User] = {}
        agent = ctx.users["agent"]
        for org in ctx.organizations.values():
            if org.name == "民盟示例市委员会":
                self.agents[org.pk] = agent
        self.categories: dict[str, Category] = {}
        self.titles: set[str] = set()
        self.plans: list[Plan] = []
        self.counter = itertools.count()
        self.clock = DemoClock(at(self.plenary.proposal_window_start - dt.timedelta(days=7), 9))
        self.done: dict[str, int] = {}

    # --- people and accounts ---------------------------------------------------------------------------

    def account(self, member: Member) -> User:
        """The member's account, created on first use (member role, unusable password)."""
        user = self.accounts.get(member.pk)
        if user is None:
            card = self.ctx.memberships[member.pk].card_number
            user = user_create(actor=None, username=f"wy{card}", council=self.city, full_name=member.name)
            role_grant(actor=None, user=user, council=self.city, role=Role.MEMBER)
            Member.objects.filter(pk=member.pk).update(user=user)
            event_record(
                actor=None,
                action="member.link_account",
                target=member,
                payload={"changes": {"user": [None, user.username]}},
            )
            self.accounts[member.pk] = user
        return user

    def agent(self, org: Organization) -> User:
        user = self.agents.get(org.pk)
        if user is None:
            number = sorted(self.ctx.organizations).index(org.name) + 1
            user = user_create(
                actor=None, username=f"dp{number:03d}", council=self.city, full_name=f"{org.name}经办人"
            )
            role_grant(actor=None, user=user, council=self.city, role=Role.COLLECTIVE_AGENT, organization=org)
            self.agents[org.pk] = user
        return user

    def unit_user(self, name: str) -> User:
        user = self.unit_users.get(name)
        if user is None:
            unit = self.ctx.units[name]
            user = user_create(
                actor=None, username=f"dw{unit.order:03d}", council=self.city, full_name=f"{unit.name}联络员"
            )
            role_grant(actor=None, user=user, council=self.city, role=Role.UNIT_LIAISON, unit=unit)
            self.unit_users[name] = user
        return user

    def submitter(self, plan: Plan) -> User:
        return self.agent(plan.organization) if plan.kind == Kind.COLLECTIVE else self.account(plan.lead)

    # --- planning ----------------------------------------------------------------------------------------

    def _title(self, topic: Topic, place: str | None = None) -> tuple[str, str]:
        for attempt in range(60):
            where = place or self.rng.choice(PLACES if attempt < 30 else PLACES + MORE_PLACES)
            title = self.rng.choice(topic.titles).format(place=where)
            if title not in self.titles:
                self.titles.add(title)
                return title, where
            place = None
        for n in itertools.count(2):
            title = topic.titles[0].format(place=f"我市第{n}批")
            if title not in self.titles:
                self.titles.add(title)
                return title, "我市"
        raise AssertionError  # unreachable

    def _plan_one(self, n: int, fate: str, topic: Topic, *, member: Member | None = None) -> Plan:
        rng = self.rng
        title, place = self._title(topic)
        kind = rng.choices((Kind.INDIVIDUAL, Kind.JOINT, Kind.COLLECTIVE), (60, 28, 12))[0]
        if member is not None:
            kind = Kind.INDIVIDUAL if kind == Kind.COLLECTIVE else kind
        plan = Plan(n=n, fate=fate, topic=topic, title=title, place=place, kind=kind)
        if kind == Kind.COLLECTIVE:
            plan.organization = rng.choice(list(self.ctx.organizations.values()))
        else:
            plan.lead = member or rng.choice(self.pool)
            if kind == Kind.JOINT:
                others = [m for m in self.pool if m.pk != plan.lead.pk]
                plan.cosigners = rng.sample(others, rng.randint(2, 4))
        units = list(topic.lead)
        plan.lead_unit = rng.choice(units)
        co = [u for u in topic.co if u != plan.lead_unit]
        if rng.random() < 0.35 and co:
            plan.co_units = rng.sample(co, 1 if rng.random() < 0.75 else min(2, len(co)))
        elif rng.random() < 0.08 and co:
            plan.separate_units = [rng.choice(co)]
        plan.result = rng.choices(("A", "B", "C"), (45, 42, 13))[0]
        plan.returned_once = rng.random() < 0.04
        return plan

    def plan(self) -> None:
        rng = self.rng
        self.pool = [m for m in self.ctx.members if m.pk != self.demo_member.pk]
        self.pool = [m for m in self.pool if self.ctx.memberships[m.pk].status == Membership.Status.ACTIVE]
        fates: list[str] = []
        for fate, count in RECEIVED_FATES.items():
            fates += [fate] * count
        rng.shuffle(fates)
        edu = list(EDU_FATES)
        n = 0
        for fate in fates:
            n += 1
            topic = rng.choice(TOPICS)
            if fate in edu:
                edu.remove(fate)
                topic = TOPIC_BY_KEY[rng.choice(EDUCATION)]
            if fate == "merge_group":
                primary = self._plan_one(n, fate, topic)
                primary.extra["merged"] = [self._plan_one(n + i, "merged", topic) for i in (1, 2)]
                for other in primary.extra["merged"]:
                    other.plenary_window = True
                n += 2
                self.plans.append(primary)
                continue
            plan = self._plan_one(n, fate, topic)
            if fate in ("rehandling", "closed_rehandled"):
                plan.separate_units = []
            if fate == "countersigning" and not plan.co_units:
                plan.co_units = [u for u in topic.co if u != plan.lead_unit][:1]
                plan.separate_units = []
            self.plans.append(plan)
        # 市教育局 is asked to countersign one lead reply, and owes a co-unit opinion on another.
        index = next(i for i, plan in enumerate(self.plans) if plan.fate == "countersigning")
        if self.plans[index].lead_unit == EDU_UNIT:
            self.plans[index] = self._plan_one(self.plans[index].n, "countersigning", TOPIC_BY_KEY["fitness"])
        self.plans[index].co_units, self.plans[index].separate_units = [EDU_UNIT], []
        for plan in self.plans:
            if plan.fate == "handling" and plan.lead_unit != EDU_UNIT and EDU_UNIT not in plan.co_units:
                plan.co_units = [*plan.co_units, EDU_UNIT][:2]
                plan.extra["co_silent"] = True
                break
        self._plan_member()
        self._plan_dates()
        self._plan_marks()
        self._plan_last_year()

    def _plan_last_year(self) -> None:
        """Two proposals of last year answered C (not possible then) and closed: staff reopened one this spring
        when conditions changed (重启办理; it awaits a new assignment), the other may still be reopened. "This
        year" is the year of the demo's plenary (before this year's plenary opens, the demo shows last year's),
        so the reopening always falls in a later calendar year than the answer, as the service requires."""
        rng, year = self.rng, self.plenary.start_date.year - 1
        for i, topic_key in enumerate(("bus", "waste")):
            plan = self._plan_one(2000 + i, "closed", TOPIC_BY_KEY[topic_key])
            plan.result, plan.co_units, plan.separate_units, plan.returned_once = "C", [], [], False
            plan.plenary_window = False
            plan.submit = dt.date(year, 5, rng.randint(6, 26))
            plan.assign = plan.submit + dt.timedelta(days=rng.randint(18, 28))
            reopen_on = max(self.plenary.end_date + dt.timedelta(days=45), dt.date(year + 1, 1, 1))
            if i == 0 and reopen_on.year > year:
                plan.extra["reopen_on"] = reopen_on
            self.plans.append(plan)

    def _plan_member(self) -> None:
        """The `member` demo account: a closed proposal, an answer to rate, co-signed ones, drafts, invitations."""
        me = self.demo_member
        topic = TOPIC_BY_KEY["primary_care"]
        for fate in ("closed", "replied"):
            plan = self._plan_one(len(self.plans) + 1, fate, topic, member=me)
            plan.kind, plan.cosigners, plan.co_units, plan.separate_units = Kind.INDIVIDUAL, [], [], []
            plan.extra["keep_pending"] = True
            self.plans.append(plan)
        cosigned = 0
        for plan in self.plans:
            if plan.kind == Kind.JOINT and plan.fate in ("closed", "handling") and cosigned < 3:
                plan.cosigners = [*plan.cosigners[:3], me]
                cosigned += 1
        # drafts (not received): two of the member's own, two by others inviting the member, two more
        for i, topic_key in enumerate(("elderly_care", "primary_care", "fitness", "culture", "waste", "bus")):
            plan = self._plan_one(1000 + i, "draft", TOPIC_BY_KEY[topic_key], member=me if i < 2 else None)
            if i == 0:
                plan.kind, plan.cosigners = Kind.INDIVIDUAL, []
            elif i == 1:
                plan.kind, plan.cosigners = Kind.JOINT, self.rng.sample(self.pool, 2)
            elif i in (2, 3):
                plan.kind = Kind.JOINT
                plan.lead = self.rng.choice(self.pool)
                plan.cosigners = [me, *self.rng.sample([m for m in self.pool if m != plan.lead], 1)]
            elif i >= 4:
                plan.kind, plan.organization, plan.cosigners = Kind.INDIVIDUAL, None, []
                plan.lead = plan.lead or self.rng.choice(self.pool)
            self.plans.append(plan)

    def _plan_dates(self) -> None:
        rng, today, p = self.rng, self.today, self.plenary
        window = (p.proposal_window_start, p.proposal_deadline.astimezone(TZ).date())
        span = (window[1] - window[0]).days
        for plan in self.plans:
            fate = plan.fate
            if fate == "draft":
                plan.submit = today - dt.timedelta(days=rng.randint(1, 4))
                plan.plenary_window = False
                continue
            relative = fate in TIME_DEPENDENT
            if relative:
                plan.plenary_window = False
                plan.assign = self._assign_day(fate)
                if fate in ("review", "returned_draft"):
                    plan.submit = today - dt.timedelta(days=rng.randint(1, 18))
                else:
                    plan.submit = plan.assign - dt.timedelta(days=rng.randint(12, 30))
            else:
                plan.submit = window[0] + dt.timedelta(days=rng.randint(0, span))
                plan.assign = p.end_date + dt.timedelta(days=rng.randint(30, 50))
            for other in plan.extra.get("merged", []):
                other.submit = window[0] + dt.timedelta(days=rng.randint(0, span))
                other.plenary_window = True
            if plan.submit < dt.date(p.start_date.year, 1, 1) and not plan.plenary_window:
                plan.submit = p.end_date + dt.timedelta(days=rng.randint(10, 30))

    def _assign_day(self, fate: str) -> dt.date:
        rng, today = self.rng, self.today
        back = {
            "new": lambda: today - dt.timedelta(days=rng.randint(0, 2)),
            "adjust_pending": lambda: today - dt.timedelta(days=2),
            "handling": lambda: today - dt.timedelta(days=rng.randint(20, 55)),
            "adjust_granted": lambda: today - dt.timedelta(days=rng.randint(30, 50)),
            "adjust_refused": lambda: today - dt.timedelta(days=rng.randint(30, 50)),
            "due_soon": lambda: months_before(today + dt.timedelta(days=rng.randint(2, 5)), 3),
            "overdue": lambda: months_before(today - dt.timedelta(days=rng.randint(5, 40)), 3),
            "ext_pending": lambda: months_before(today + dt.timedelta(days=rng.randint(8, 14)), 3),
            "ext_granted": lambda: months_before(today - dt.timedelta(days=rng.randint(8, 20)), 3),
            "ext_refused": lambda: today - dt.timedelta(days=rng.randint(40, 60)),
            "countersigning": lambda: today - dt.timedelta(days=rng.randint(45, 60)),
            "under_review": lambda: today - dt.timedelta(days=rng.randint(50, 70)),
            "reply_returned": lambda: today - dt.timedelta(days=rng.randint(50, 70)),
            "replied": lambda: today - dt.timedelta(days=rng.randint(60, 80)),
            "rehandling": lambda: today - dt.timedelta(days=rng.randint(75, 90)),
        }
        if fate in back:
            return back[fate]()
        return today - dt.timedelta(days=rng.randint(1, 6))  # review, to_assign: filed lately

    def _plan_marks(self) -> None:
        """Key proposals supervised by the leader, a few public and excellent ones."""
        rng = self.rng
        candidates = [
            p for p in self.plans if p.fate in ("closed", "handling", "overdue", "under_review", "due_soon")
        ]
        for plan in rng.sample(candidates, 10):
            plan.key = True
        closed = [p for p in self.plans if p.fate == "closed" and p.result == "A"]
        for plan in rng.sample(closed, 24):
            plan.extra["public"] = True
        for plan in rng.sample(closed, 8):
            plan.extra["excellent"] = True

    # --- running ---------------------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        s.categories_ensure(self.city)
        self.categories = {c.name: c for c in Category.objects.filter(council=self.city)}
        self.plan()
        queue: list[tuple[dt.datetime, int, Generator]] = []
        # Nothing happens later than this morning (or midnight, before eight): the same data all day long.
        cutoff = at(self.today, 8) if timezone.localtime() >= at(self.today, 8) else at(self.today, 0)
        self.cutoff = cutoff
        for script in [
            *(self.script(plan) for plan in self.plans),
            self._key_round(),
            self._excellent_round(),
        ]:
            first = next(script, None)
            if first is not None:
                heapq.heappush(queue, (first, next(self.counter), script))
        with clock_patched(self.clock):
            while queue:
                moment, _n, script = heapq.heappop(queue)
                self.clock.set(min(moment, cutoff))
                following = next(script, None)
                if following is not None:
                    heapq.heappush(queue, (max(following, self.clock.now), next(self.counter), script))
        return self.done

    # --- key-proposal selection and excellent-proposal awards ---------------------------------------------

    def _wait_for(self, titles: list[str], states) -> Generator[dt.datetime, None, list[Proposal]]:
        """Yield week by week until every proposal titled so is in one of `states` (or the demo's day has come)."""
        while True:
            found = list(
                Proposal.objects.filter(
                    council=self.city, title__in=titles, state__in=sorted(states)
                ).order_by("case_scope", "case_number")
            )
            if len(found) == len(titles) or self.clock.now >= self.cutoff:
                return found
            yield self.clock.now + dt.timedelta(days=7)

    def _key_round(self) -> Generator[dt.datetime, None, None]:
        """重点提案遴选 after the plenary: the proposal office shortlists, the committee selects ten, the chair's
        meeting approves them with the leader supervising."""
        from . import services_selection as sel
        from .selection_workflow import Decision, SelectionKind
        from .workflow import FILED_STATES

        key = [p.title for p in self.plans if p.key]
        others = [p.title for p in self.plans if not p.key and p.fate == "closed"][:3]
        yield at(self.plenary.end_date + dt.timedelta(days=20), 9)
        found = yield from self._wait_for(key + others, FILED_STATES)
        if not found:
            return
        staff = self.staff
        r = sel.selection_open(actor=staff, council=self.city, year=found[0].year, kind=SelectionKind.KEY)
        for p in found:
            is_key = p.title in key
            sel.nomination_add(
                actor=staff,
                selection=r,
                proposal=p,
                reason="涉及全市发展大局和群众切身利益,社会关注度高" if is_key else "建议具体,有一定代表性",
                suggested_leaders=[self.leader] if is_key else [],
                lead_unit_note="由主办单位牵头,协办单位配合" if is_key else "",
            )
        yield self.clock.now + dt.timedelta(days=6)
        sel.selection_start_review(actor=staff, selection=r)
        for n in r.nominations.select_related("proposal").order_by("pk"):
            chosen = n.proposal.title in key
            sel.nomination_decide(
                actor=staff,
                nomination=n,
                decision=Decision.SELECTED if chosen else Decision.REJECTED,
                opinion="同意列为重点提案" if chosen else "建议作为一般提案办理",
            )
        yield self.clock.now + dt.timedelta(days=1)
        sel.selection_submit(actor=staff, selection=r)
        yield self.clock.now + dt.timedelta(days=7)
        sel.selection_approve(
            actor=self.leader,
            selection=r,
            meeting_name="六届主席会议第十二次会议",
            decided_on=timezone.localdate(),
        )

    def _excellent_round(self) -> Generator[dt.datetime, None, None]:
        """优秀提案评选 of the year, left in review: nominations from the office, units and sectors, some scored."""
        from . import services_selection as sel
        from .selection_workflow import Decision, SelectionKind
        from .workflow import State

        titles = [p.title for p in self.plans if p.extra.get("excellent")]
        yield at(self.today - dt.timedelta(days=20), 10)
        found = yield from self._wait_for(titles, {State.CLOSED})
        if not found:
            return
        staff = self.staff
        r = sel.selection_open(
            actor=staff, council=self.city, year=found[0].year, kind=SelectionKind.EXCELLENT
        )
        sources = [
            ("staff", ""),
            ("unit", "市教育局"),
            ("sector", "教育界"),
            ("organization", "民盟示例市委员会"),
        ]
        for i, p in enumerate(found):
            source, name = sources[i % len(sources)]
            sel.nomination_add(
                actor=staff,
                selection=r,
                proposal=p,
                reason="调研深入,建议具体可行,已被承办单位采纳并取得实效",
                source=source,
                source_name=name,
            )
        yield self.clock.now + dt.timedelta(days=5)
        sel.selection_start_review(actor=staff, selection=r)
        for i, n in enumerate(r.nominations.order_by("pk")[:6]):
            sel.nomination_decide(
                actor=staff,
                nomination=n,
                decision=Decision.SELECTED if i < 5 else Decision.REJECTED,
                score=95 - i * 2,
                opinion="" if i < 5 else "建议针对性不够强",
            )

    def _texts(self, plan: Plan) -> dict[str, str]:
        rng, topic = self.rng, plan.topic
        fill = {"place": plan.place, "n": rng.randint(12, 480), "pct": rng.randint(8, 65)}
        picks = rng.sample(topic.suggestions, min(len(topic.suggestions), rng.randint(3, 4)))
        suggestions = [f"{NUMERALS[i]}是{text}。" for i, text in enumerate(picks)]
        return {
            "reason": _html(topic.reason.format(**fill)),
            "analysis": _html(*(a.format(**fill) for a in topic.analysis)),
            "suggestions": _html(*suggestions),
        }

    def _reply_body(self, plan: Plan, unit: str, result: str) -> str:
        opening = f"您提出的《{plan.title}》收悉。我单位高度重视,认真研究办理,现答复如下:"
        middle = {
            "A": f"您提出的建议已被采纳。我们已会同有关部门{plan.topic.suggestions[0]},相关工作已落实到位。",
            "B": f"您提出的建议很有针对性,我们已列入今年工作计划,正在{plan.topic.suggestions[0]},将按承诺时限完成。",
            "C": "受资金和政策条件限制,您提出的部分建议目前暂不具备实施条件,我们将留作参考,待条件成熟时统筹推进。",
        }[result]
        return _html(opening, middle, "感谢您对我市工作的关心和支持,欢迎继续提出宝贵意见。", unit)

    def script(self, plan: Plan) -> Generator[dt.datetime, None, None]:
        """One proposal's life: each `yield` names the moment of its next step."""
        rng, staff = self.rng, self.staff
        texts = self._texts(plan)
        day = plan.submit if plan.fate == "draft" else plan.submit - dt.timedelta(days=rng.randint(2, 8))
        yield at(day, rng.randint(8, 20), rng.randint(0, 59))
        author = self.submitter(plan)
        collective = {"organization": plan.organization} if plan.kind == Kind.COLLECTIVE else {}
        proposal = s.proposal_create(
            actor=author,
            council=self.city,
            title=plan.title,
            kind=plan.kind,
            category=self.categories[plan.topic.category],
            tags=list(plan.topic.tags),
            plenary=self.plenary if plan.plenary_window else None,
            **texts,
            **collective,
        )
        if plan.cosigners:
            yield at(day, 21)
            s.proposal_cosign_invite(actor=author, proposal=proposal, members=plan.cosigners)
            if plan.fate == "draft":
                return
            yield at(day + dt.timedelta(days=1), 9)
            for i, cosignature in enumerate(
                CoSignature.objects.filter(proposal=proposal).select_related("member")
            ):
                if i and rng.random() < 0.12:
                    s.cosignature_decline(actor=self.account(cosignature.member), cosignature=cosignature)
                else:
                    s.cosignature_accept(actor=self.account(cosignature.member), cosignature=cosignature)
        if plan.fate == "draft":
            return
        yield at(plan.submit, rng.randint(8, 11), rng.randint(0, 59))
        proposal = s.proposal_submit(actor=author, proposal=proposal)
        merged = []
        for other in plan.extra.get("merged", []):
            merged.append(self._quick_submit(other))
        if plan.fate == "withdrawn":
            yield at(plan.submit + dt.timedelta(days=rng.randint(1, 3)), 15)
            s.proposal_withdraw(actor=author, proposal=proposal, reason="经进一步调研,拟修改完善后再行提出")
            self._count("withdrawn")
            return
        review = plan.submit + dt.timedelta(days=rng.randint(2, 6))
        if plan.plenary_window:
            review = max(review, self.plenary.end_date + dt.timedelta(days=rng.randint(5, 20)))
        if plan.fate == "review":
            self._count("review")
            return
        if plan.returned_once or plan.fate == "returned_draft":
            yield at(review, 10)
            s.proposal_return_for_revision(
                actor=staff,
                proposal=proposal,
                comments="建议进一步聚焦问题,补充情况分析中的数据来源,具体建议要有可操作性。",
            )
            if plan.fate == "returned_draft":
                self._count("returned_draft")
                return
            review += dt.timedelta(days=4)
            yield at(review, 9)
            s.proposal_update(
                actor=author,
                proposal=proposal,
                data={
                    "analysis": texts["analysis"]
                    + _html("据有关部门统计,上述问题在近三年群众来信来访中反映较多。")
                },
            )
            yield at(review, 11)
            s.proposal_submit(actor=author, proposal=proposal)
            review += dt.timedelta(days=3)
        if plan.fate == "declined":
            yield at(review, 15)
            self._decline(proposal)
            return
        if merged:
            yield at(review, 9, 30)
            s.proposal_merge(actor=staff, proposal=proposal, merged=merged, note="内容相近,并案办理")
            self._count("merged", len(merged))
        yield at(review, 16)
        s.proposal_file(actor=staff, proposal=proposal)
        if plan.fate == "to_assign":
            self._count("to_assign")
            return
        yield from self._handle(plan, proposal, max(plan.assign, review + dt.timedelta(days=1)))
        if plan.extra.get("reopen_on"):
            yield at(plan.extra["reopen_on"], 10)
            s.proposal_reopen(
                actor=staff,
                proposal=proposal,
                reason="相关专项规划已经批准,资金渠道落实,具备了办理条件,重新交办。",
            )
            self._count("reopened")

    def _quick_submit(self, plan: Plan) -> Proposal:
        """A proposal that is merged later: drafted and submitted at once (co-signers accept on the spot)."""
        author = self.submitter(plan)
        collective = {"organization": plan.organization} if plan.kind == Kind.COLLECTIVE else {}
        proposal = s.proposal_create(
            actor=author,
            council=self.city,
            title=plan.title,
            kind=plan.kind,
            category=self.categories[plan.topic.category],
            plenary=self.plenary,
            **self._texts(plan),
            **collective,
        )
        if plan.cosigners:
            for c in s.proposal_cosign_invite(actor=author, proposal=proposal, members=plan.cosigners):
                s.cosignature_accept(actor=self.account(c.member), cosignature=c)
        return s.proposal_submit(actor=author, proposal=proposal)

    DECLINES = (
        (6, Disposition.MEMBER_LETTER), (4, Disposition.ARCHIVE), (2, Disposition.ARCHIVE),
        (7, Disposition.ARCHIVE), (8, Disposition.MEMBER_LETTER), (4, Disposition.MEMBER_LETTER),
        (2, Disposition.MEMBER_LETTER), (6, Disposition.ARCHIVE), (9, Disposition.MEMBER_LETTER),
    )  # fmt: skip

    def _decline(self, proposal: Proposal) -> None:
        reasons = s.proposal_settings_get(self.city).decline_reasons
        n = self.done.get("declined", 0)
        if n == 0:
            reason, disposition, consent = reasons[4], Disposition.TO_OPINION_REPORT, True
        else:
            index, disposition = self.DECLINES[n % len(self.DECLINES)]
            reason, consent = reasons[index], None
        note = {
            Disposition.TO_OPINION_REPORT: "所反映情况具有一定代表性,经提案人同意,转为社情民意信息报送。",
            Disposition.MEMBER_LETTER: "所提建议转有关单位参考研究。",
            Disposition.ARCHIVE: "存档备查。",
        }[disposition]
        s.proposal_decline(
            actor=self.staff,
            proposal=proposal,
            reason=reason,
            disposition=disposition,
            note=note,
            conversion_consent=consent,
        )
        self._count("declined")

    def _count(self, fate: str, n: int = 1) -> None:
        self.done[fate] = self.done.get(fate, 0) + n

    # --- handling --------------------------------------------------------------------------------------

    def _assignment(self, proposal: Proposal, unit: str) -> Assignment:
        return Assignment.objects.get(proposal=proposal, unit=self.ctx.units[unit], active=True)

    def _handle(self, plan: Plan, proposal: Proposal, day: dt.date) -> Generator[dt.datetime, None, None]:
        rng, staff, today, fate = self.rng, self.staff, self.today, plan.fate
        units = self.ctx.units
        lead_unit = plan.lead_unit
        if fate == "adjust_granted":
            taken = {lead_unit, *plan.co_units, *plan.separate_units}
            departments = Unit.objects.filter(council=self.city, kind=Unit.Kind.GOVERNMENT_DEPARTMENT)
            first = rng.choice(
                [u for u in departments.order_by("order").values_list("name", flat=True) if u not in taken]
            )
        else:
            first = lead_unit
        yield at(day, 10)
        s.proposal_assign(
            actor=staff,
            proposal=proposal,
            lead_unit=units[first],
            co_units=[units[u] for u in plan.co_units],
            separate_units=[units[u] for u in plan.separate_units],
        )
        if fate == "new":
            self._count(fate)
            return
        # adjustment (申请调整)
        if fate.startswith("adjust"):
            yield at(day + dt.timedelta(days=1), 15)
            lead = self._assignment(proposal, first)
            request = s.proposal_request_adjustment(
                actor=self.unit_user(first),
                assignment=lead,
                reason="该提案所提事项主要属于其他部门职责范围,建议调整承办单位。",
                suggested_unit=lead_unit if fate == "adjust_granted" else "",
            )
            if fate == "adjust_pending":
                self._count(fate)
                return
            yield at(day + dt.timedelta(days=3), 10)
            grant = fate == "adjust_granted"
            s.proposal_decide_adjustment(
                actor=staff,
                request=request,
                grant=grant,
                note="" if grant else "该事项属于贵单位职责,请按交办意见认真办理。",
            )
            if grant:
                yield at(day + dt.timedelta(days=4), 10)
                s.proposal_assign(actor=staff, proposal=proposal, lead_unit=units[lead_unit])
            fate = "handling"
        lead = self._assignment(proposal, lead_unit)
        answering = [lead, *(self._assignment(proposal, u) for u in plan.separate_units)]
        co = [self._assignment(proposal, u) for u in plan.co_units]
        # contacts (沟通) and co opinions
        contact_day = min(day + dt.timedelta(days=rng.randint(4, 12)), today)
        if fate not in ("overdue", "due_soon") or rng.random() < 0.6:
            yield at(contact_day, 14)
            for a in answering:
                self._contact(plan, proposal, a, contact_day)
        for a in co:
            if plan.extra.get("co_silent") and a.unit.name == EDU_UNIT:
                continue
            if fate in ("handling", "due_soon", "overdue") and rng.random() < 0.5:
                continue
            yield at(min(day + dt.timedelta(days=rng.randint(10, 25)), today), 11)
            s.proposal_give_co_opinion(
                actor=self.unit_user(a.unit.name),
                assignment=a,
                opinion=_html(
                    f"我单位同意主办单位的办理思路,将在职责范围内积极配合{plan.topic.suggestions[-1]}。"
                ),
            )
        if fate in ("handling", "due_soon", "overdue", "overdue_old"):
            self._count(fate)
            return
        # extension (延期申请)
        if fate.startswith("ext"):
            lead.refresh_from_db()
            asked = (
                lead.deadline - dt.timedelta(days=10)
                if fate != "ext_pending"
                else today - dt.timedelta(days=1)
            )
            if fate == "ext_refused":
                asked = today - dt.timedelta(days=20)
            yield at(asked, 16)
            request = s.proposal_request_extension(
                actor=self.unit_user(lead_unit),
                assignment=lead,
                reason="该提案涉及多个部门,需协调资金和用地,难以在规定期限内办结,申请延期办理。",
                requested_deadline=lead.deadline + dt.timedelta(days=45),
            )
            if fate != "ext_pending":
                yield at(asked + dt.timedelta(days=2), 10)
                s.proposal_decide_extension(
                    actor=staff, request=request, grant=fate == "ext_granted",
                    note="同意延期,请抓紧办理。" if fate == "ext_granted" else "期限内可以办结,请按原期限答复。",
                )  # fmt: skip
            self._count(fate)
            return
        # replies (答复)
        if fate in ("countersigning", "under_review", "reply_returned"):
            reply_day = today - dt.timedelta(days=rng.randint(2, 6))
        elif fate in ("replied",):
            reply_day = today - dt.timedelta(days=rng.randint(9, 16))
        elif fate == "rehandling":
            reply_day = today - dt.timedelta(days=rng.randint(22, 26))
        else:  # closed ones: answered within the three months
            reply_day = min(day + dt.timedelta(days=rng.randint(35, 80)), today - dt.timedelta(days=60))
            reply_day = max(reply_day, day + dt.timedelta(days=14))
        first_result = "C" if fate in ("rehandling", "closed_rehandled") else plan.result
        yield from self._reply_round(plan, proposal, answering, co, reply_day, first_result, fate)
        if fate in ("countersigning", "under_review", "reply_returned"):
            self._count(fate)
            return
        # evaluation (满意度评价)
        eval_day = reply_day + dt.timedelta(days=rng.randint(3, 8))
        if fate == "replied":
            yield at(min(eval_day, today), 20)
            self._evaluate(proposal, dissatisfied=False, partial=True, keep=plan.extra.get("keep_pending"))
            self._count(fate)
            return
        yield at(eval_day, 20)
        dissatisfied = fate in ("rehandling", "closed_rehandled")
        self._evaluate(proposal, dissatisfied=dissatisfied)
        if dissatisfied:
            yield at(eval_day + dt.timedelta(days=4), 10)
            s.proposal_rehandle(
                actor=staff, proposal=proposal, note="提案人对办理结果不满意,请重新办理并加强沟通。"
            )
            if fate == "rehandling":
                self._count(fate)
                return
            again = eval_day + dt.timedelta(days=rng.randint(18, 28))
            round2 = [self._assignment(proposal, lead_unit)]
            yield from self._reply_round(plan, proposal, round2, co, again, "B", fate)
            yield at(again + dt.timedelta(days=5), 20)
            self._evaluate(proposal, dissatisfied=False)
            eval_day = again + dt.timedelta(days=5)
        yield at(eval_day + dt.timedelta(days=rng.randint(10, 20)), 16)
        s.proposal_close(actor=staff, proposal=proposal)
        if plan.extra.get("public"):
            yield at(eval_day + dt.timedelta(days=25), 10)
            s.proposal_set_public(actor=staff, proposal=proposal, is_public=True)
        self._count(fate)

    def _contact(self, plan: Plan, proposal: Proposal, a: Assignment, day: dt.date) -> None:
        rng = self.rng
        method = rng.choices(("visit", "meeting", "phone", "written"), (35, 30, 30, 5))[0]
        members = [] if plan.kind == Kind.COLLECTIVE else [plan.lead]
        s.proposal_record_contact(
            actor=self.unit_user(a.unit.name),
            assignment=a,
            date=day,
            method=method,
            people=f"{a.unit}分管负责同志、承办科室负责人",
            summary=f"就《{plan.title}》听取提案人意见,介绍了工作现状和下一步打算,提案人对办理思路表示认可。",
            members_met=members if method in ("visit", "meeting", "phone") else [],
            collective_met=plan.kind == Kind.COLLECTIVE,
        )

    def _reply_round(self, plan, proposal, answering, co, day, result, fate):
        rng, today = self.rng, self.today
        for a in answering:
            yield at(day, 10)
            commitments = []
            if result == "B":
                for i, text in enumerate(plan.topic.commitments):
                    due = (
                        today + dt.timedelta(days=rng.randint(20, 200))
                        if i
                        else today - dt.timedelta(days=rng.randint(5, 60))
                    )
                    commitments.append(
                        {"text": text, "due": max(due, day + dt.timedelta(days=30)).isoformat()}
                    )
            reply = s.proposal_draft_reply(
                actor=self.unit_user(a.unit.name),
                assignment=a,
                body=self._reply_body(plan, a.unit.name, result),
                result=result,
                commitments=commitments,
            )
            yield at(day, 15)
            reply = s.proposal_submit_reply(actor=self.unit_user(a.unit.name), reply=reply)
            if fate == "countersigning":
                return
            if reply.assignment_id == answering[0].pk and co:
                yield at(day + dt.timedelta(days=1), 11)
                for c in Countersignature.objects.filter(reply=reply).select_related("assignment__unit"):
                    s.proposal_countersign(
                        actor=self.unit_user(c.assignment.unit.name), countersignature=c, sign=True
                    )
            if fate == "under_review":
                continue
            yield at(day + dt.timedelta(days=2), 10)
            if fate == "reply_returned":
                s.proposal_supervise_review(
                    actor=self.supervisor,
                    reply=reply,
                    approve=False,
                    note="答复内容过于笼统,请补充具体措施和时间安排。",
                )
                continue
            changed = "A" if result == "B" and rng.random() < 0.05 else None
            s.proposal_supervise_review(
                actor=self.supervisor, reply=reply, approve=True, result=changed, note=""
            )

    def _evaluate(
        self, proposal: Proposal, *, dissatisfied: bool, partial: bool = False, keep: bool = False
    ) -> None:
        rng = self.rng
        pending = Evaluation.objects.filter(
            proposal=proposal, status=EvaluationStatus.PENDING
        ).select_related("member", "source__organization")
        for i, evaluation in enumerate(pending.order_by("pk")):
            if keep and evaluation.member_id == self.demo_member.pk:
                continue
            if partial and rng.random() < 0.5:
                continue
            if evaluation.member_id:
                actor = self.account(evaluation.member)
            else:
                actor = self.agent(evaluation.source.organization)
            if dissatisfied and i == 0:
                work, result = Rating.BASICALLY_SATISFIED, Rating.DISSATISFIED
                comment = "答复未能解决实际问题,希望进一步研究。"
            else:
                work = rng.choices(Rating.values, (80, 18, 2))[0]
                result = rng.choices(Rating.values, (62, 33, 5))[0]
                if result == Rating.DISSATISFIED or work == Rating.DISSATISFIED:
                    work, result = Rating.SATISFIED, Rating.BASICALLY_SATISFIED
                comment = ""
            s.proposal_evaluate(
                actor=actor,
                evaluation=evaluation,
                work_rating=work,
                result_rating=result,
                consulted=rng.random() < 0.92,
                comment=comment,
            )


@register_step("proposals")
def _proposals(ctx: DemoContext) -> None:
    done = ProposalYear(ctx).run()
    ctx.counts["proposals"] = Proposal.objects.filter(council=ctx.city).count()
    ctx.counts.update({f"proposals.{k}": v for k, v in done.items()})
