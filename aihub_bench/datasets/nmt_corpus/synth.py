"""Synthetic twin of the Korean-English parallel corpus (한국어-영어 번역 말뭉치), in the real layout:

    <root>/1_구어체(1).xlsx ... <root>/6_문어체_지자체웹사이트.xlsx   (ten workbooks, one sheet each)

Every workbook has its header in row 1 and the domain's own columns around ``원문`` (Korean) and
``번역문`` (English), which are not always the first two (readers must go by header name; see
``HEADERS``). IDs, dates and set numbers are stored as numbers.

The sentences come from a small grammar per domain: templates with slots (numbers, dates, units,
prices, cities, organisations, people, dishes, places ...) whose Korean and English fillers have one
fixed translation each, so the mapping is deterministic and learnable by a small Transformer from a
few thousand pairs, while the slot combinations keep test sentences from being copies of training
ones. Korean particles follow the filler (은/는, 이/가, 을/를, 과/와, 으로/로). Digits are carried over
unchanged (``2019년 3월 5일`` <-> ``March 5, 2019``; ``10퍼센트`` <-> ``10 percent``; ``50만원`` <->
``500,000 won`` is the one place where a unit is folded into the number).

``quirks=True`` adds what the real sheets have and nothing else: a few blank rows, blank 번역문 (and
rarely 원문) cells, and about 1% exact duplicate pairs (not in the dialogue file, whose turns belong
to numbered sets). Same arguments, same bytes.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aihub_bench.formats.xlsx import write_reproducible_xlsx

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated

SOURCE, TARGET = "원문", "번역문"

# file name -> domain, in release order
FILES: dict[str, str] = {
    "1_구어체(1).xlsx": "colloquial",
    "1_구어체(2).xlsx": "colloquial",
    "2_대화체.xlsx": "dialogue",
    "3_문어체_뉴스(1)_200226.xlsx": "news",
    "3_문어체_뉴스(2).xlsx": "news",
    "3_문어체_뉴스(3).xlsx": "news",
    "3_문어체_뉴스(4).xlsx": "news",
    "4_문어체_한국문화.xlsx": "culture",
    "5_문어체_조례.xlsx": "ordinance",
    "6_문어체_지자체웹사이트.xlsx": "local_gov",
}
FILE_NAMES: tuple[str, ...] = tuple(FILES)
HEADERS: dict[str, tuple[str, ...]] = {
    "colloquial": ("SID", SOURCE, TARGET),
    "dialogue": ("대분류", "소분류", "상황", "Set Nr.", "발화자", SOURCE, TARGET),
    "news": ("ID", "날짜", "자동분류1", "자동분류2", "자동분류3", "URL", "언론사", SOURCE, TARGET),
    "culture": ("ID", "키워드", SOURCE, TARGET),
    "ordinance": ("ID", "지자체", SOURCE, TARGET),
    "local_gov": ("ID", "지자체", SOURCE, TARGET),
}
DEFAULT_ROWS: dict[str, int] = {
    name: {"news": 1500, "colloquial": 800, "dialogue": 600}.get(domain, 400)
    for name, domain in FILES.items()
}
SHEET_TITLE = "Sheet1"
ID_BLOCK = 100_000  # first ID of the k-th file of a domain: 1 + k * ID_BLOCK
MIN_SET_TURNS, MAX_SET_TURNS = 4, 8  # dialogue turns per set

# quirks (rates per data row; at least one of each in a file of >= QUIRK_MIN_ROWS rows)
QUIRK_MIN_ROWS = 20
DUPLICATE_RATE = 0.01
BLANK_TARGET_RATE = 0.005
BLANK_SOURCE_RATE = 0.002
BLANK_ROW_RATE = 0.003


def domain_of_file(name: str) -> str:
    """The domain (``colloquial``, ``dialogue``, ``news``, ...) of one of the ten release file names."""
    return FILES[unicodedata.normalize("NFC", name)]


# ---------------------------------------------------------------- language helpers

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = (
    ("월요일", "Monday"), ("화요일", "Tuesday"), ("수요일", "Wednesday"), ("목요일", "Thursday"), ("금요일", "Friday"),
    ("토요일", "Saturday"), ("일요일", "Sunday"),
)  # fmt: skip
_QUARTERS = ("first", "second", "third", "fourth")
_SEASONS = (("봄", "spring"), ("여름", "summer"), ("가을", "autumn"), ("겨울", "winter"))

# final consonant of a digit's Korean reading: 영 일 이 삼 사 오 육 칠 팔 구 (8 is ㄹ)
_DIGIT_FINAL = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
_JOSA = {
    "은": ("은", "는"),
    "이": ("이", "가"),
    "을": ("을", "를"),
    "과": ("과", "와"),
    "으로": ("으로", "로"),
    "이란": ("이란", "란"),
    "이고": ("이고", "고"),
    "이에요": ("이에요", "예요"),
    "입니다": ("입니다", "입니다"),
}


def _final(word: str) -> int:
    """Index of the final consonant (받침) of the last pronounced syllable; 0 for none."""
    for ch in reversed(word):
        if "가" <= ch <= "힣":
            return (ord(ch) - 0xAC00) % 28
        if ch in _DIGIT_FINAL:
            return _DIGIT_FINAL[ch]
        if ch.isalpha():
            return 0
    return 0


def j(word: str, particle: str) -> str:
    """``word`` plus the form of ``particle`` its last syllable takes (을/를, 으로/로 ...)."""
    after_consonant, after_vowel = _JOSA[particle]
    final = _final(word)
    if particle == "으로":
        return word + ("로" if final in (0, 8) else "으로")
    return word + (after_consonant if final else after_vowel)


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _clock(h: int) -> tuple[str, str]:
    """24-hour ``h`` as ``오전/오후 N시`` and ``N a.m./p.m.``."""
    if h < 12:
        return f"오전 {h}시", f"{h} a.m."
    return f"오후 {h - 12 if h > 12 else 12}시", f"{h - 12 if h > 12 else 12} p.m."


def _won(amount: int) -> str:
    return f"{amount:,}"


class _R:
    """Scalar draws from a numpy generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.rng.integers(len(seq)))]

    def two(self, seq: Sequence[Any]) -> tuple[Any, Any]:
        a, b = self.rng.choice(len(seq), 2, replace=False)
        return seq[int(a)], seq[int(b)]

    def num(self, lo: int, hi: int, step: int = 1) -> int:
        """Uniform over ``lo, lo + step, ..., hi`` (inclusive)."""
        return lo + step * int(self.rng.integers((hi - lo) // step + 1))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def weighted(self, weights: Sequence[float]) -> int:
        w = np.asarray(weights, np.float64)
        return int(self.rng.choice(len(w), p=w / w.sum()))


Pair = tuple[str, str]

# ---------------------------------------------------------------- shared lexicon

CITIES: tuple[Pair, ...] = (
    ("서울", "Seoul"), ("부산", "Busan"), ("대구", "Daegu"), ("인천", "Incheon"), ("광주", "Gwangju"),
    ("대전", "Daejeon"), ("울산", "Ulsan"), ("수원", "Suwon"), ("제주", "Jeju"), ("전주", "Jeonju"),
    ("춘천", "Chuncheon"), ("경주", "Gyeongju"), ("강릉", "Gangneung"), ("포항", "Pohang"), ("창원", "Changwon"),
    ("청주", "Cheongju"),
)  # fmt: skip
PEOPLE: tuple[Pair, ...] = (
    ("김민수", "Kim Min-su"), ("이지은", "Lee Ji-eun"), ("박서준", "Park Seo-jun"), ("최유리", "Choi Yu-ri"),
    ("정현우", "Jung Hyun-woo"), ("강수진", "Kang Su-jin"), ("윤도현", "Yoon Do-hyun"), ("한지민", "Han Ji-min"),
    ("조성민", "Cho Sung-min"), ("장예린", "Jang Ye-rin"), ("임재현", "Lim Jae-hyun"), ("오세영", "Oh Se-young"),
)  # fmt: skip
EVENTS: tuple[Pair, ...] = (
    ("국제 영화제", "an international film festival"), ("음악 축제", "a music festival"), ("마라톤 대회", "a marathon"),
    ("도서 박람회", "a book fair"), ("음식 축제", "a food festival"), ("과학 전시회", "a science exhibition"),
    ("취업 박람회", "a job fair"), ("불꽃 축제", "a fireworks festival"),
)  # fmt: skip
VENUES: tuple[Pair, ...] = (
    ("시청 광장", "the city hall plaza"), ("종합운동장", "the sports complex"), ("시민 공원", "the citizens' park"),
    ("컨벤션 센터", "the convention center"), ("문화 예술 회관", "the arts center"),
)  # fmt: skip
FOODS: tuple[Pair, ...] = (
    ("비빔밥", "bibimbap"), ("불고기", "bulgogi"), ("김치찌개", "kimchi stew"), ("떡볶이", "tteokbokki"),
    ("냉면", "naengmyeon"), ("삼계탕", "samgyetang"), ("갈비", "galbi"), ("잡채", "japchae"),
    ("된장찌개", "soybean paste stew"), ("김밥", "gimbap"), ("순두부찌개", "soft tofu stew"), ("파전", "pajeon"),
)  # fmt: skip
RELATIVES: tuple[Pair, ...] = (
    ("남동생", "younger brother"), ("여동생", "younger sister"), ("아버지", "father"), ("어머니", "mother"),
    ("친구", "friend"), ("룸메이트", "roommate"), ("아내", "wife"), ("남편", "husband"), ("아들", "son"),
    ("딸", "daughter"),
)  # fmt: skip


# ---------------------------------------------------------------- news (뉴스)

_NEWS_ITEMS: tuple[Pair, ...] = (
    ("교통 요금", "transit fares"), ("버스 요금", "bus fares"), ("지하철 요금", "subway fares"), ("택시 요금", "taxi fares"),
    ("수도 요금", "water rates"), ("가스 요금", "gas rates"), ("주차 요금", "parking fees"),
    ("쓰레기 봉투 가격", "garbage bag prices"), ("공공시설 입장료", "admission fees for public facilities"),
)  # fmt: skip
_NEWS_TIMING: tuple[Pair, ...] = (
    ("다음 달부터", "starting next month"), ("내년부터", "starting next year"),
    ("올해 하반기부터", "starting in the second half of this year"), ("", ""),
)  # fmt: skip
_STAT_ORGS: tuple[Pair, ...] = (
    ("통계청", "Statistics Korea"), ("한국은행", "the Bank of Korea"), ("관세청", "the Korea Customs Service"),
    ("한국관광공사", "the Korea Tourism Organization"),
)  # fmt: skip
_STAT_TOPICS: tuple[Pair, ...] = (
    ("수출", "exports"), ("수입", "imports"), ("소비자 물가", "consumer prices"),
    ("취업자 수", "the number of employed people"), ("주택 가격", "house prices"),
    ("외국인 관광객 수", "the number of foreign tourists"), ("출생아 수", "the number of births"),
    ("자동차 판매량", "car sales"), ("반도체 수출", "semiconductor exports"), ("온라인 쇼핑 거래액", "online shopping sales"),
)  # fmt: skip
_REGIONS: tuple[Pair, ...] = (
    ("수도권", "the Seoul metropolitan area"), ("강원도", "Gangwon Province"), ("충청도", "Chungcheong Province"),
    ("전라도", "Jeolla Province"), ("경상도", "Gyeongsang Province"), ("제주도", "Jeju Island"),
    ("남부 지방", "the southern regions"), ("중부 지방", "the central regions"), ("동해안", "the east coast"),
)  # fmt: skip
_TITLES: tuple[Pair, ...] = (
    ("장관", "Minister"), ("시장", "Mayor"), ("의원", "Representative"), ("대표", "CEO"), ("교수", "Professor"),
    ("위원장", "Chairman"),
)  # fmt: skip
_POLICIES: tuple[Pair, ...] = (
    ("새로운 교통 정책", "a new transportation policy"), ("내년 예산안", "next year's budget plan"),
    ("청년 일자리 대책", "measures for youth jobs"), ("주택 공급 계획", "a housing supply plan"),
    ("미세먼지 저감 대책", "measures to reduce fine dust"), ("저출산 대책", "measures against the low birth rate"),
    ("지역 경제 활성화 방안", "a plan to revitalize the local economy"), ("교육 개혁안", "an education reform plan"),
)  # fmt: skip
_ANNOUNCE: tuple[Pair, ...] = (("발표했다", "announced"), ("공개했다", "unveiled"), ("설명했다", "explained"))
_COMPANIES: tuple[Pair, ...] = (
    ("삼성전자", "Samsung Electronics"), ("현대자동차", "Hyundai Motor"), ("포스코", "POSCO"), ("네이버", "Naver"),
    ("카카오", "Kakao"), ("한화", "Hanwha"), ("롯데쇼핑", "Lotte Shopping"), ("셀트리온", "Celltrion"),
    ("대한항공", "Korean Air"),
)  # fmt: skip
_EARNINGS: tuple[Pair, ...] = (("영업이익", "operating profit"), ("매출", "sales"), ("순이익", "net profit"))
_FIRE_PLACES: tuple[Pair, ...] = (
    ("아파트", "an apartment"), ("공장", "a factory"), ("전통시장", "a traditional market"), ("호텔", "a hotel"),
    ("창고", "a warehouse"), ("상가", "a shopping building"), ("식당", "a restaurant"), ("주택", "a house"),
    ("학교", "a school"), ("병원", "a hospital"),
)  # fmt: skip
_HIGHWAYS: tuple[Pair, ...] = (
    ("경부고속도로", "the Gyeongbu Expressway"), ("영동고속도로", "the Yeongdong Expressway"),
    ("서해안고속도로", "the Seohaean Expressway"), ("남해고속도로", "the Namhae Expressway"),
)  # fmt: skip
_INFRA: tuple[Pair, ...] = (
    ("고속철도", "high-speed railway"), ("고속도로", "expressway"), ("지하철 노선", "subway line"),
    ("자전거 도로", "bike path"), ("해저 터널", "undersea tunnel"), ("다리", "bridge"),
)  # fmt: skip
_GROCERIES: tuple[Pair, ...] = (
    ("배추 한 포기", "a head of cabbage"), ("달걀 한 판", "a tray of eggs"), ("쌀 20킬로그램", "20 kilograms of rice"),
    ("돼지고기 100그램", "100 grams of pork"), ("우유 1리터", "1 liter of milk"), ("사과 10개", "10 apples"),
)  # fmt: skip
_UP_DOWN: tuple[tuple[str, str, str], ...] = (("증가했다", "rose", "up"), ("감소했다", "fell", "down"))
_PRESS: tuple[tuple[str, str], ...] = (
    ("연합뉴스", "www.yna.co.kr"), ("한국경제", "www.hankyung.com"), ("매일경제", "www.mk.co.kr"),
    ("서울경제", "www.sedaily.com"), ("뉴시스", "www.newsis.com"), ("아시아경제", "www.asiae.co.kr"),
    ("머니투데이", "news.mt.co.kr"), ("이데일리", "www.edaily.co.kr"),
)  # fmt: skip
_EXTRA_CATEGORIES = ("지역", "생활", "국제", "IT_과학", "산업", "금융")


def _percent(r: _R, lo: int = 1, hi: int = 30) -> str:
    n = r.num(lo, hi)
    return f"{n}.{r.num(1, 9)}" if r.chance(0.3) else str(n)


def _news_fares(r: _R, y: int, m: int, d: int) -> tuple[str, str, tuple[str, str]]:
    (city, city_en), (item, item_en), (when, when_en) = (
        r.pick(CITIES),
        r.pick(_NEWS_ITEMS),
        r.pick(_NEWS_TIMING),
    )
    verb, verb_en = r.pick((("인상", "raise"), ("인하", "cut")))
    n = _percent(r, 3, 30)
    ko = f"{city}시는 {d}일 {when + ' ' if when else ''}{j(item, '을')} {n}퍼센트 {verb}한다고 밝혔다."
    en = f"{city_en} City said on the {ordinal(d)} that it will {verb_en} {item_en} by {n} percent"
    return ko, en + (f" {when_en}." if when_en else "."), ("사회", "경제")


def _news_stats(r: _R, y: int, m: int, d: int) -> tuple[str, str, tuple[str, str]]:
    (org, org_en), (topic, topic_en) = r.pick(_STAT_ORGS), r.pick(_STAT_TOPICS)
    verb, verb_en, _ = r.pick(_UP_DOWN)
    sy, sm = (y, m - 1) if m > 1 else (y - 1, 12)
    n = _percent(r, 1, 25)
    ko = f"{org}에 따르면 {sy}년 {sm}월 {j(topic, '은')} 지난해 같은 달보다 {n}퍼센트 {verb}."
    en = f"According to {org_en}, {topic_en} in {_MONTHS[sm - 1]} {sy} {verb_en} {n} percent from a year earlier."
    return ko, en, ("경제", "")


def _news_event(r: _R, y: int, m: int, d: int) -> tuple[str, str, tuple[str, str]]:
    (city, city_en), (event, event_en) = r.pick(CITIES), r.pick(EVENTS)
    em, ed = r.num(1, 12), r.num(1, 28)
    ey = y if (em, ed) > (m, d) else y + 1
    if r.chance(0.5):
        venue, venue_en = r.pick(VENUES)
        ko = f"{city}시는 {ey}년 {em}월 {ed}일 {venue}에서 {j(event, '을')} 개최한다고 {d}일 밝혔다."
        en = (
            f"{city_en} City said on the {ordinal(d)} that it will host {event_en} at {venue_en} "
            f"on {_MONTHS[em - 1]} {ed}, {ey}."
        )
    else:
        k = r.num(2, 10)
        ko = f"{city}에서 {em}월 {ed}일부터 {k}일간 {j(event, '이')} 열린다."
        en = cap(f"{event_en} will be held in {city_en} for {k} days from {_MONTHS[em - 1]} {ed}.")
    return ko, en, ("문화", "지역")


def _news_weather(r: _R, y: int, m: int, d: int) -> tuple[str, str, tuple[str, str]]:
    region, region_en = r.pick(_REGIONS)
    kind = r.num(0, 3)
    if kind == 0:
        n = r.num(10, 150, 5)
        ko = f"기상청은 {d}일 {region}에 최대 {n}밀리미터의 비가 내릴 것으로 예상했다."
        en = f"The Korea Meteorological Administration forecast up to {n} millimeters of rain in {region_en} on the {ordinal(d)}."
    elif kind == 1:
        n = r.num(2, 30)
        ko = f"기상청은 {d}일 {region}에 최대 {n}센티미터의 눈이 내릴 것으로 예상했다."
        en = f"The Korea Meteorological Administration forecast up to {n} centimeters of snow in {region_en} on the {ordinal(d)}."
    elif kind == 2:
        n = r.num(20, 38)
        ko = f"{d}일 {region}의 낮 최고 기온은 {n}도까지 오를 것으로 보인다."
        en = f"The daytime high in {region_en} on the {ordinal(d)} is expected to reach {n} degrees."
    else:
        n = r.num(2, 18)
        ko = f"{d}일 {region}의 아침 최저 기온은 영하 {n}도까지 떨어질 것으로 보인다."
        en = f"The morning low in {region_en} on the {ordinal(d)} is expected to drop to minus {n} degrees."
    return ko, en, ("사회", "날씨")


def _news_official(r: _R, y: int, m: int, d: int) -> tuple[str, str, tuple[str, str]]:
    (name, name_en), (title, title_en), (policy, policy_en) = (
        r.pick(PEOPLE),
        r.pick(_TITLES),
        r.pick(_POLICIES),
    )
    verb, verb_en = r.pick(_ANNOUNCE)
    ko = f"{name} {j(title, '은')} {d}일 기자회견을 열고 {j(policy, '을')} {verb}."
    en = f"{title_en} {name_en} held a press conference on the {ordinal(d)} and {verb_en} {policy_en}."
    return ko, en, ("정치", "사회")


def _news_company(r: _R, y: int, m: int, d: int) -> tuple[str, str, tuple[str, str]]:
    (company, company_en), (what, what_en) = r.pick(_COMPANIES), r.pick(_EARNINGS)
    q = r.num(1, 4)
    amount = f"{r.num(1, 12)}.{r.num(1, 9)}"
    verb, _, up_en = r.pick(_UP_DOWN)
    p = _percent(r, 2, 40)
    verb = verb.replace("했다", "했다고")
    ko = f"{j(company, '은')} 올해 {q}분기 {j(what, '이')} {amount}조 원으로 지난해보다 {p}퍼센트 {verb} {d}일 밝혔다."
    en = (
        f"{company_en} said on the {ordinal(d)} that its {what_en} in the {_QUARTERS[q - 1]} quarter of this year "
        f"was {amount} trillion won, {up_en} {p} percent from last year."
    )
    return ko, en, ("경제", "산업")


def _news_accident(r: _R, y: int, m: int, d: int) -> tuple[str, str, tuple[str, str]]:
    city, city_en = r.pick(CITIES)
    n = r.num(2, 15)
    if r.chance(0.6):
        place, place_en = r.pick(_FIRE_PLACES)
        at, at_en = _clock(r.num(1, 23))
        ko = f"{d}일 {at}쯤 {city}의 한 {place}에서 불이 나 {n}명이 다쳤다."
        en = f"A fire broke out at {place_en} in {city_en} at around {at_en} on the {ordinal(d)}, injuring {n} people."
    else:
        road, road_en = r.pick(_HIGHWAYS)
        k = r.num(3, 12)
        ko = f"{d}일 {city} 인근 {road}에서 차량 {k}대가 잇따라 부딪혀 {n}명이 다쳤다."
        en = f"{k} vehicles collided one after another on {road_en} near {city_en} on the {ordinal(d)}, injuring {n} people."
    return ko, en, ("사회", "사건_사고")


def _news_infra(r: _R, y: int, m: int, d: int) -> tuple[str, str, tuple[str, str]]:
    (a, a_en), (b, b_en) = r.two(CITIES)
    infra, infra_en = r.pick(_INFRA)
    n, oy = r.num(5, 120), y + r.num(1, 6)
    ko = f"{j(a, '과')} {j(b, '을')} 잇는 {n}킬로미터 길이의 {j(infra, '이')} {oy}년 개통될 예정이다."
    en = f"The {n} km {infra_en} connecting {a_en} and {b_en} is scheduled to open in {oy}."
    return ko, en, ("경제", "지역")


def _news_prices(r: _R, y: int, m: int, d: int) -> tuple[str, str, tuple[str, str]]:
    item, item_en = r.pick(_GROCERIES)
    price = r.num(1500, 60000, 10)
    verb, up_en = r.pick((("올랐다", "up"), ("내렸다", "down")))
    p = _percent(r, 1, 20)
    ko = f"한국소비자원은 {d}일 {item}의 평균 가격이 {_won(price)}원으로 한 달 전보다 {p}퍼센트 {verb}고 밝혔다."
    en = (
        f"The Korea Consumer Agency said on the {ordinal(d)} that the average price of {item_en} was "
        f"{_won(price)} won, {up_en} {p} percent from a month earlier."
    )
    return ko, en, ("경제", "생활")


_NEWS_TEMPLATES: tuple[tuple[Callable[..., tuple[str, str, tuple[str, str]]], float], ...] = (
    (_news_fares, 1.0), (_news_stats, 1.0), (_news_event, 1.0), (_news_weather, 1.0), (_news_official, 1.0),
    (_news_company, 1.0), (_news_accident, 1.0), (_news_infra, 0.8), (_news_prices, 0.8),
)  # fmt: skip


def _news_records(r: _R, n: int, first_id: int) -> list[dict[str, Any]]:
    out = []
    weights = [w for _, w in _NEWS_TEMPLATES]
    start = datetime.date(2018, 1, 1).toordinal()
    for i in range(n):
        date = datetime.date.fromordinal(start + r.num(0, 729))
        template = _NEWS_TEMPLATES[r.weighted(weights)][0]
        ko, en, (cat1, cat2) = template(r, date.year, date.month, date.day)
        cat3 = r.pick(_EXTRA_CATEGORIES) if r.chance(0.1) else None
        press, host = r.pick(_PRESS)
        ident = first_id + i
        stamp = int(date.strftime("%Y%m%d"))
        out.append(
            {
                "ID": ident,
                "날짜": stamp,
                "자동분류1": cat1,
                "자동분류2": cat2 or None,
                "자동분류3": cat3 if cat3 not in (cat1, cat2) else None,
                "URL": f"https://{host}/news/{stamp}/{ident:07d}",
                "언론사": press,
                SOURCE: ko,
                TARGET: en,
            }
        )
    return out


# ---------------------------------------------------------------- colloquial (구어체)

_DESTINATIONS: tuple[Pair, ...] = (
    ("회사", "work"), ("학교", "school"), ("도서관", "the library"), ("병원", "the hospital"), ("헬스장", "the gym"),
    ("공원", "the park"), ("카페", "the cafe"), ("학원", "the academy"),
)  # fmt: skip
_TRANSPORT: tuple[Pair, ...] = (
    ("버스", "bus"), ("지하철", "subway"), ("택시", "taxi"), ("자전거", "bike"), ("기차", "train"), ("차", "car"),
)  # fmt: skip
_FREQUENCY: tuple[Pair, ...] = (
    ("매일", "every day"), ("주말마다", "every weekend"), ("아침마다", "every morning"), ("가끔", "sometimes"),
    ("일주일에 두 번", "twice a week"),
)  # fmt: skip
_SNACKS: tuple[Pair, ...] = (
    ("삼겹살", "pork belly"), ("떡볶이", "tteokbokki"), ("치킨", "chicken"), ("피자", "pizza"), ("냉면", "naengmyeon"),
    ("김밥", "gimbap"), ("짜장면", "jajangmyeon"), ("불고기", "bulgogi"), ("라면", "ramyeon"), ("만두", "dumplings"),
)  # fmt: skip
_MEAL_TIMES: tuple[Pair, ...] = (
    ("어제", "yesterday"), ("지난 주말에", "last weekend"), ("점심에", "for lunch"), ("저녁에", "for dinner"),
)  # fmt: skip
_GOODS: tuple[Pair, ...] = (
    ("가방", "bag"), ("신발", "pair of shoes"), ("모자", "hat"), ("셔츠", "shirt"), ("우산", "umbrella"),
    ("책", "book"), ("시계", "watch"), ("지갑", "wallet"), ("케이크", "cake"),
)  # fmt: skip
_MEET_PLACES: tuple[Pair, ...] = (
    ("역", "the station"), ("영화관", "the movie theater"), ("정문", "the main gate"), ("서점", "the bookstore"),
    ("은행", "the bank"), ("우체국", "the post office"), ("편의점", "the convenience store"),
    ("백화점", "the department store"),
)  # fmt: skip
_MEET_DAYS: tuple[Pair, ...] = (
    ("내일", "tomorrow"), ("토요일", "on Saturday"), ("일요일", "on Sunday"), ("다음 주 월요일", "next Monday"),
    ("모레", "the day after tomorrow"),
)  # fmt: skip
_HOBBIES: tuple[tuple[str, str], ...] = (
    ("등산", "hiking"), ("수영", "swimming"), ("요리", "cooking"), ("독서", "reading"), ("낚시", "fishing"),
    ("요가", "yoga"), ("테니스", "tennis"), ("그림 그리기", "drawing"), ("사진 찍기", "taking pictures"),
    ("노래", "singing"),
)  # fmt: skip
_PARTNERS: tuple[Pair, ...] = (
    ("친구들", "my friends"), ("가족", "my family"), ("동료들", "my coworkers"), ("이웃", "a neighbor"),
)  # fmt: skip
_WEATHER_REASONS: tuple[Pair, ...] = (
    ("비가 와서", "it rained"), ("눈이 와서", "it snowed"), ("너무 더워서", "it was too hot"),
    ("바람이 많이 불어서", "it was very windy"), ("미세먼지가 심해서", "the fine dust was bad"),
)  # fmt: skip
_WHEN_PAST: tuple[Pair, ...] = (
    ("어제는", "Yesterday"), ("지난 주말에는", "Last weekend"), ("오늘 아침에는", "This morning"),
)  # fmt: skip
_CHORES: tuple[Pair, ...] = (
    ("산책", "go for a walk"), ("운동", "exercise"), ("캠핑", "go camping"), ("빨래", "do the laundry"),
    ("등산", "go hiking"), ("축구", "play soccer"), ("세차", "wash the car"),
)  # fmt: skip
_CALL_REASONS: tuple[Pair, ...] = (
    ("지금 회의 중이라서", "I am in a meeting now"), ("지금 운전 중이라서", "I am driving now"),
    ("지금 밖이라서", "I am outside now"), ("지금 수업 중이라서", "I am in class now"),
    ("지금 밥을 먹고 있어서", "I am eating now"),
)  # fmt: skip
_JOBS: tuple[Pair, ...] = (
    ("간호사", "a nurse"), ("요리사", "a cook"), ("선생님", "a teacher"), ("회사원", "an office worker"),
    ("의사", "a doctor"), ("경찰관", "a police officer"), ("은행원", "a bank clerk"), ("디자이너", "a designer"),
    ("기자", "a reporter"), ("소방관", "a firefighter"),
)  # fmt: skip
_SHOPS: tuple[Pair, ...] = (
    ("편의점", "the convenience store"), ("전통시장", "the traditional market"), ("마트", "the supermarket"),
    ("백화점", "the department store"), ("문구점", "the stationery store"), ("빵집", "the bakery"),
)  # fmt: skip
_COUNTABLES: tuple[Pair, ...] = (
    ("사과", "apples"), ("공책", "notebooks"), ("양말", "pairs of socks"), ("볼펜", "pens"), ("컵", "cups"),
    ("접시", "plates"), ("수건", "towels"), ("복숭아", "peaches"),
)  # fmt: skip
_SHOP_TIMES: tuple[Pair, ...] = (
    ("어제", "yesterday"), ("오늘 아침에", "this morning"), ("지난 주말에", "last weekend"),
    ("퇴근길에", "on my way home from work"),
)  # fmt: skip


def _subject(r: _R) -> tuple[str, str, bool]:
    """Korean topic phrase, English subject, third person?"""
    if r.chance(0.35):
        return "저는", "I", False
    rel, rel_en = r.pick(RELATIVES)
    return f"제 {j(rel, '은')}", f"My {rel_en}", True


def _s(verb: str, third: bool) -> str:
    if not third:
        return verb
    return {"go": "goes", "do": "does", "have": "has"}.get(verb, verb + "s")


def _col_commute(r: _R) -> Pair:
    subj, subj_en, third = _subject(r)
    (freq, freq_en), (way, way_en), (dest, dest_en) = (
        r.pick(_FREQUENCY),
        r.pick(_TRANSPORT),
        r.pick(_DESTINATIONS),
    )
    return (
        f"{subj} {freq} {j(way, '으로')} {dest}에 가요.",
        f"{subj_en} {_s('go', third)} to {dest_en} by {way_en} {freq_en}.",
    )


def _col_ate(r: _R) -> Pair:
    subj, subj_en, _ = _subject(r)
    (when, when_en), (food, food_en) = r.pick(_MEAL_TIMES), r.pick(_SNACKS)
    n = r.num(2, 5)
    return (
        f"{subj} {when} {j(food, '을')} {n}인분이나 먹었어요.",
        f"{subj_en} ate {n} servings of {food_en} {when_en}.",
    )


def _col_price(r: _R) -> Pair:
    item, item_en = r.pick(_GOODS)
    adj, adj_en = r.pick((("비싼", "expensive"), ("싼", "cheap")))
    price = r.num(1000, 150000, 500)
    return (
        f"이 {item} {_won(price)}원인데 조금 {adj} 것 같아요.",
        f"This {item_en} is {_won(price)} won, and I think it is a little {adj_en}.",
    )


def _col_travel_time(r: _R) -> Pair:
    (city, city_en), (way, way_en) = r.pick(CITIES), r.pick(_TRANSPORT)
    if r.chance(0.5):
        n, unit, unit_en = r.num(2, 6), "시간", "hours"
    else:
        n, unit, unit_en = r.num(10, 55, 5), "분", "minutes"
    return (
        f"여기서 {city}까지 {j(way, '으로')} {n}{unit} 정도 걸려요.",
        f"It takes about {n} {unit_en} to get from here to {city_en} by {way_en}.",
    )


def _col_meet(r: _R) -> Pair:
    (name, name_en), (day, day_en), (place, place_en) = (
        r.pick(PEOPLE),
        r.pick(_MEET_DAYS),
        r.pick(_MEET_PLACES),
    )
    at, at_en = _clock(r.num(9, 21))
    return (
        f"{name} 씨, {day} {at}에 {place} 앞에서 만나요.",
        f"{name_en}, let's meet in front of {place_en} at {at_en} {day_en}.",
    )


def _col_hobby(r: _R) -> Pair:
    subj, subj_en, third = _subject(r)
    (hobby, hobby_en), (freq, freq_en), (mate, mate_en) = (
        r.pick(_HOBBIES),
        r.pick(_FREQUENCY),
        r.pick(_PARTNERS),
    )
    return (
        f"{subj} {j(hobby, '을')} 정말 좋아해서 {freq} {j(mate, '과')} 같이 해요.",
        f"{subj_en} really {_s('like', third)} {hobby_en} and {_s('do', third)} it with {mate_en} {freq_en}.",
    )


def _col_missed(r: _R) -> Pair:
    (when, when_en), (why, why_en), (chore, chore_en) = (
        r.pick(_WHEN_PAST),
        r.pick(_WEATHER_REASONS),
        r.pick(_CHORES),
    )
    rel, rel_en = r.pick(RELATIVES)
    return (
        f"{when} {why} {j(rel, '과')} 같이 {j(chore, '을')} 못 했어요.",
        f"{when_en}, I could not {chore_en} with my {rel_en} because {why_en}.",
    )


def _col_call_back(r: _R) -> Pair:
    reason, reason_en = r.pick(_CALL_REASONS)
    n = r.num(2, 59)
    return (
        f"{reason} {n}분 뒤에 다시 전화해 주실 수 있어요?",
        f"{reason_en}, so could you call me again in {n} minutes?",
    )


def _col_job(r: _R) -> Pair:
    subj, subj_en, third = _subject(r)
    (city, city_en), (job, job_en) = r.pick(CITIES), r.pick(_JOBS)
    age = r.num(20, 65)
    be = "is" if third else "am"
    return (
        f"{subj} 올해 {age}살이고 {city}에서 {j(job, '으로')} 일해요.",
        f"{subj_en} {be} {age} years old this year and {_s('work', third)} as {job_en} in {city_en}.",
    )


def _col_bought(r: _R) -> Pair:
    (when, when_en), (shop, shop_en), (thing, thing_en) = (
        r.pick(_SHOP_TIMES),
        r.pick(_SHOPS),
        r.pick(_COUNTABLES),
    )
    n = r.num(2, 9)
    return (
        f"{when} {shop}에서 {j(thing, '을')} {n}개 샀어요.",
        f"I bought {n} {thing_en} at {shop_en} {when_en}.",
    )


_COLLOQUIAL_TEMPLATES: tuple[tuple[Callable[[_R], Pair], float], ...] = (
    (_col_commute, 1.0), (_col_ate, 1.0), (_col_price, 1.0), (_col_travel_time, 1.0), (_col_meet, 1.0),
    (_col_hobby, 1.0), (_col_missed, 0.5), (_col_call_back, 0.2), (_col_job, 1.0), (_col_bought, 1.0),
)  # fmt: skip


def _colloquial_records(r: _R, n: int, first_id: int) -> list[dict[str, Any]]:
    weights = [w for _, w in _COLLOQUIAL_TEMPLATES]
    out = []
    for i in range(n):
        ko, en = _COLLOQUIAL_TEMPLATES[r.weighted(weights)][0](r)
        out.append({"SID": first_id + i, SOURCE: ko, TARGET: en})
    return out


# ---------------------------------------------------------------- dialogue (대화체)

_ROOMS: tuple[Pair, ...] = (
    ("싱글룸", "single room"), ("더블룸", "double room"), ("트윈룸", "twin room"), ("스위트룸", "suite"),
)  # fmt: skip
_DRINKS: tuple[Pair, ...] = (
    ("콜라", "cola"), ("사이다", "lemon soda"), ("맥주", "beer"), ("오렌지 주스", "orange juice"), ("녹차", "green tea"),
)  # fmt: skip
_SIDES: tuple[Pair, ...] = (
    ("공기밥", "rice"), ("계란찜", "steamed egg"), ("김치전", "kimchi pancake"), ("샐러드", "salad"),
)  # fmt: skip
_SEATS: tuple[Pair, ...] = (
    ("창가 자리", "a window table"), ("조용한 자리", "a quiet table"), ("빈자리", "a free table"),
    ("룸", "a private room"),
)  # fmt: skip
_COLORS: tuple[Pair, ...] = (
    ("검은색", "black"), ("흰색", "white"), ("파란색", "blue"), ("빨간색", "red"), ("회색", "gray"), ("노란색", "yellow"),
    ("초록색", "green"), ("갈색", "brown"),
)  # fmt: skip
_CLOTHES: tuple[Pair, ...] = (
    ("셔츠", "shirt"), ("치마", "skirt"), ("재킷", "jacket"), ("코트", "coat"), ("원피스", "dress"),
    ("스웨터", "sweater"),
)  # fmt: skip
_PAY: tuple[Pair, ...] = (("카드", "by card"), ("현금", "in cash"), ("모바일 결제", "with mobile payment"))
_SPOTS: tuple[Pair, ...] = (
    ("서울역", "Seoul Station"), ("부산역", "Busan Station"), ("인천공항", "Incheon Airport"),
    ("김포공항", "Gimpo Airport"), ("시청", "City Hall"), ("경복궁", "Gyeongbokgung Palace"),
    ("해운대 해수욕장", "Haeundae Beach"), ("동대문 시장", "Dongdaemun Market"), ("명동", "Myeongdong"),
    ("고속버스터미널", "the express bus terminal"),
)  # fmt: skip
_ROUTES: tuple[Pair, ...] = (
    ("고속도로", "the expressway"), ("강변북로", "Gangbyeon Expressway"), ("지름길", "a shortcut"),
    ("올림픽대로", "Olympic Expressway"),
)  # fmt: skip
_MEETING_TOPICS: tuple[Pair, ...] = (
    ("신제품 출시", "the new product launch"), ("내년 예산", "next year's budget"),
    ("마케팅 전략", "the marketing strategy"), ("해외 진출", "overseas expansion"),
    ("고객 만족도 조사", "the customer satisfaction survey"), ("채용 계획", "the hiring plan"),
)  # fmt: skip
_FIRMS: tuple[Pair, ...] = (
    ("한빛전자", "Hanbit Electronics"), ("대성물산", "Daesung Trading"), ("미래식품", "Mirae Foods"),
    ("세종건설", "Sejong Construction"), ("푸른제약", "Pureun Pharmaceutical"), ("동방무역", "Dongbang Trade"),
)  # fmt: skip
_PRODUCTS: tuple[Pair, ...] = (
    ("노트북", "laptops"), ("모니터", "monitors"), ("의자", "chairs"), ("프린터", "printers"), ("책상", "desks"),
    ("마스크", "masks"),
)  # fmt: skip
_ABROAD: tuple[Pair, ...] = (
    ("도쿄", "Tokyo"), ("베이징", "Beijing"), ("싱가포르", "Singapore"), ("뉴욕", "New York"), ("런던", "London"),
    ("파리", "Paris"), ("하노이", "Hanoi"), ("상하이", "Shanghai"), ("부산", "Busan"), ("제주", "Jeju"),
)  # fmt: skip
_FORECASTS: tuple[Pair, ...] = (
    ("맑고", "sunny"), ("흐리고", "cloudy"), ("바람이 많이 불고", "windy"), ("조금 쌀쌀하고", "a little chilly"),
    ("따뜻하고", "warm"),
)  # fmt: skip
_OUTINGS: tuple[Pair, ...] = (
    ("산책하러", "go for a walk"), ("자전거 타러", "go cycling"), ("사진 찍으러", "go take pictures"),
    ("소풍하러", "go on a picnic"),
)  # fmt: skip
_PARKS: tuple[Pair, ...] = (
    ("한강 공원", "Hangang Park"), ("남산", "Namsan"), ("올림픽 공원", "Olympic Park"), ("서울숲", "Seoul Forest"),
    ("호수 공원", "Lake Park"),
)  # fmt: skip
_PLAN_B: tuple[Pair, ...] = (
    ("영화 보기", "watching a movie"), ("카페 가기", "going to a cafe"), ("박물관 구경", "visiting a museum"),
    ("쇼핑", "shopping"),
)  # fmt: skip
_SPORTS: tuple[tuple[str, str, str], ...] = (
    ("등산", "hiking", "go hiking"), ("수영", "swimming", "swim"), ("요리", "cooking", "cook"),
    ("테니스", "tennis", "play tennis"), ("기타 연주", "guitar", "play the guitar"), ("요가", "yoga", "do yoga"),
    ("배드민턴", "badminton", "play badminton"), ("볼링", "bowling", "go bowling"),
)  # fmt: skip
_FREE_TIME: tuple[Pair, ...] = (
    ("주말에", "on weekends"), ("퇴근 후에", "after work"), ("쉬는 날에", "on your days off"),
    ("저녁에", "in the evening"),
)  # fmt: skip
_CLASS_PLACES: tuple[Pair, ...] = (
    ("체육관", "the gym"), ("공원", "the park"), ("문화센터", "the community center"),
    ("스포츠 센터", "the sports center"),
)  # fmt: skip


def _hhmm(h: int, mm: int) -> tuple[str, str]:
    ko, en = _clock(h)
    if mm:
        ko = f"{ko} {mm}분"
        en = en.replace(" ", f":{mm:02d} ", 1)
    return ko, en


def _scene_hotel(r: _R) -> list[Pair]:
    (name, name_en), (room, room_en) = r.pick(PEOPLE), r.pick(_ROOMS)
    n, f = r.num(2, 7), r.num(2, 15)
    no, bf, bh, co = f * 100 + r.num(1, 30), r.num(2, 5), r.num(6, 8), r.num(10, 11)
    price = r.num(80000, 350000, 10000)
    m, d = r.num(1, 12), r.num(1, 28)
    return [
        (f"안녕하세요, {name} 이름으로 {j(room, '을')} {n}박 예약했는데요.", f"Hello, I booked a {room_en} for {n} nights under the name {name_en}."),
        (f"네, {name} 님, 예약 확인되었습니다. 방은 {f}층 {no}호입니다.", f"Yes, {name_en}, your reservation is confirmed. Your room is {no} on the {ordinal(f)} floor."),
        (f"{m}월 {d}일까지 {n}박 요금은 모두 얼마인가요?", f"How much is it in total for {n} nights until {_MONTHS[m - 1]} {d}?"),
        (f"하룻밤에 {_won(price)}원이라서 모두 {_won(price * n)}원입니다.", f"It is {_won(price)} won per night, so the total is {_won(price * n)} won."),
        (f"{no}호인데요, 내일 아침 조식은 몇 시부터 먹을 수 있나요?", f"This is room {no}. What time can I have breakfast tomorrow morning?"),
        (f"조식은 오전 {bh}시부터 {bh + 3}시까지 {bf}층 식당에서 드실 수 있습니다.", f"Breakfast is served from {bh} a.m. to {bh + 3} a.m. at the restaurant on the {ordinal(bf)} floor."),
        (f"감사합니다. {no}호 열쇠를 주시겠어요?", f"Thank you. Could I have the key to room {no}?"),
        (f"여기 있습니다. {m}월 {d}일 체크아웃은 오전 {co}시까지입니다.", f"Here you are. Check-out on {_MONTHS[m - 1]} {d} is until {co} a.m."),
    ]  # fmt: skip


def _scene_restaurant(r: _R) -> list[Pair]:
    (food, food_en), (drink, drink_en), (side, side_en), (seat, seat_en) = (
        r.pick(FOODS),
        r.pick(_DRINKS),
        r.pick(_SIDES),
        r.pick(_SEATS),
    )
    name, name_en = r.pick(PEOPLE)
    at, at_en = _clock(r.num(11, 20))
    n, k, m, s = r.num(2, 6), r.num(2, 4), r.num(2, 5), r.num(2, 4)
    total = r.num(25000, 120000, 500)
    return [
        (f"안녕하세요, {at}에 {n}명 {j(seat, '을')} 예약한 {name}입니다.", f"Hello, I am {name_en}, and I booked {seat_en} for {n} people at {at_en}."),
        (f"네, {name} 님, 이쪽으로 오세요. 오늘의 추천 메뉴는 {food}입니다.", f"Yes, {name_en}, please come this way. Today's special is {food_en}."),
        (f"그럼 {food} {k}인분하고 {drink} {m}잔 주세요.", f"Then please give us {k} servings of {food_en} and {m} glasses of {drink_en}."),
        (f"{food} {k}인분하고 {drink} {m}잔이요. {j(food, '은')} 조금 매운데 괜찮으세요?", f"{k} servings of {food_en} and {m} glasses of {drink_en}. {cap(food_en)} is a little spicy. Is that okay?"),
        (f"네, 괜찮아요. {side}도 {s}인분 추가해 주시고 {j(drink, '은')} 나중에 주세요.", f"Yes, that is fine. Please also add {s} servings of {side_en}, and bring the {drink_en} later."),
        (f"네, 모두 {_won(total)}원입니다. 잠시만 기다려 주세요.", f"Okay, that will be {_won(total)} won in total. Please wait a moment."),
        (f"{_won(total)}원은 카드로 계산할게요.", f"I will pay the {_won(total)} won by card."),
        (f"네, {_won(total)}원 결제되었습니다. {food} 맛있게 드세요.", f"Okay, {_won(total)} won has been paid. Enjoy your {food_en}."),
    ]  # fmt: skip


def _scene_clothes(r: _R) -> list[Pair]:
    (color, color_en), (item, item_en), (pay, pay_en) = r.pick(_COLORS), r.pick(_CLOTHES), r.pick(_PAY)
    size, p = r.num(85, 105, 5), r.num(10, 50, 5)
    price = r.num(30000, 250000, 1000)
    sale = price * (100 - p) // 100
    big, floor = size + 5, r.num(2, 4)
    return [
        (f"이 {color} {item} {size} 사이즈 있나요?", f"Do you have this {color_en} {item_en} in size {size}?"),
        (f"네, 있습니다. {color} {j(item, '은')} 지금 {p}퍼센트 할인 중이에요.", f"Yes, we do. The {color_en} {item_en} is {p} percent off right now."),
        (f"할인하면 {color} {item} 가격이 얼마예요?", f"How much is the {color_en} {item_en} with the discount?"),
        (f"원래 {_won(price)}원인데 할인해서 {_won(sale)}원입니다.", f"It was originally {_won(price)} won, but it is {_won(sale)} won with the discount."),
        (f"{size} 사이즈 {j(item, '은')} 조금 작을 것 같은데 {big}도 입어 볼 수 있을까요?", f"I think the {item_en} in size {size} may be a little small. Can I also try on {big}?"),
        (f"네, {color} {item} {big} 사이즈 여기 있습니다. 탈의실은 {floor}층에 있어요.", f"Yes, here is the {color_en} {item_en} in size {big}. The fitting room is on the {ordinal(floor)} floor."),
        (f"{big} 사이즈가 잘 맞네요. {_won(sale)}원은 {j(pay, '으로')} 계산할게요.", f"Size {big} fits well. I will pay the {_won(sale)} won {pay_en}."),
        (f"네, {_won(sale)}원 결제되었습니다. 감사합니다.", f"Okay, {_won(sale)} won has been paid. Thank you."),
    ]  # fmt: skip


def _scene_taxi(r: _R) -> list[Pair]:
    (spot, spot_en), (route, route_en) = r.pick(_SPOTS), r.pick(_ROUTES)
    m, m2, m3 = r.num(10, 60, 5), r.num(15, 70), r.num(5, 15)
    fare = r.num(8000, 45000, 1000)
    paid = fare + r.num(-2000, 2000, 100)
    return [
        (f"기사님, {spot}까지 {m}분 안에 갈 수 있을까요?", f"Driver, can we get to {spot_en} within {m} minutes?"),
        (f"지금 길이 막혀서 {m2}분 정도 걸릴 것 같아요.", f"The roads are congested now, so it will take about {m2} minutes."),
        (f"그럼 {j(route, '으로')} 가면 {spot}까지 더 빠를까요?", f"Then would it be faster to get to {spot_en} if we take {route_en}?"),
        (f"네, {j(route, '으로')} 가면 {m3}분쯤 빨라요.", f"Yes, if we take {route_en}, it is about {m3} minutes faster."),
        (f"{j(route, '으로')} 가면 {spot}까지 요금은 대략 얼마나 나올까요?", f"About how much will the fare to {spot_en} be if we take {route_en}?"),
        (f"아마 {_won(fare)}원 정도 나올 거예요.", f"It will probably be about {_won(fare)} won."),
        (f"여기서 세워 주세요. {_won(paid)}원은 카드로 낼게요.", f"Please stop here. I will pay the {_won(paid)} won by card."),
        (f"{spot}에 도착했습니다. {_won(paid)}원 영수증 필요하세요?", f"We have arrived at {spot_en}. Do you need a receipt for the {_won(paid)} won?"),
    ]  # fmt: skip


def _scene_meeting(r: _R) -> list[Pair]:
    (name, name_en), (topic, topic_en) = r.pick(PEOPLE), r.pick(_MEETING_TOPICS)
    (day, day_en), (day2, day2_en) = r.two(_WEEKDAYS[:5])
    h, h2, mins, n = r.num(1, 5), r.num(9, 11), r.num(30, 90, 10), r.num(3, 12)
    room = r.num(2, 9) * 100 + r.num(1, 9)
    return [
        (f"{name} 씨, {day} 오후 {h}시에 {topic} 회의를 할 수 있을까요?", f"{name_en}, can we have a meeting about {topic_en} at {h} p.m. on {day_en}?"),
        (f"{day}은 어렵고 {day2} 오전 {h2}시는 어떠세요?", f"{day_en} is difficult for me. How about {h2} a.m. on {day2_en}?"),
        (f"좋습니다. 참석자는 모두 {n}명이고 {room}호 회의실을 예약할게요.", f"Good. There will be {n} attendees in total, and I will book meeting room {room}."),
        (f"{topic} 자료는 제가 {day}까지 이메일로 보내 드릴게요.", f"I will email you the materials on {topic_en} by {day_en}."),
        (f"{name} 씨, 회의 시간은 {mins}분 정도면 충분할까요?", f"{name_en}, will about {mins} minutes be enough for the meeting?"),
        (f"네, {topic} 회의는 {mins}분이면 충분할 것 같습니다.", f"Yes, I think {mins} minutes will be enough for the meeting about {topic_en}."),
        (f"그럼 {day2} 오전 {h2}시에 {room}호 회의실에서 뵙겠습니다.", f"Then I will see you in meeting room {room} at {h2} a.m. on {day2_en}."),
        (f"네, {day2}에 뵙겠습니다. 좋은 하루 보내세요, {name} 씨.", f"Okay, see you on {day2_en}. Have a nice day, {name_en}."),
    ]  # fmt: skip


def _scene_phone(r: _R) -> list[Pair]:
    (name, name_en), (person, person_en) = r.two(PEOPLE)
    (firm, firm_en), (product, product_en) = r.pick(_FIRMS), r.pick(_PRODUCTS)
    m, q, h = r.num(10, 50, 5), r.num(10, 500, 10), r.num(17, 20)
    phone = f"010-{r.num(1000, 9999)}-{r.num(1000, 9999)}"
    dm, dd = r.num(1, 12), r.num(1, 28)
    until, until_en = _clock(h)
    return [
        (f"안녕하세요, {firm}의 {name}입니다. {person} 과장님 계신가요?", f"Hello, this is {name_en} from {firm_en}. Is Manager {person_en} there?"),
        (f"{person} 과장님은 지금 회의 중이신데 {m}분 뒤에 돌아오십니다.", f"Manager {person_en} is in a meeting now, but will be back in {m} minutes."),
        (f"그럼 {product} {q}개 주문 건으로 전화했다고 전해 주세요.", f"Then please tell Manager {person_en} that I called about the order for {q} {product_en}."),
        (f"네, {product} {q}개 주문 건이요. 연락처를 알려 주시겠어요?", f"Okay, the order for {q} {product_en}. Could you give me your phone number?"),
        (f"제 휴대폰 번호는 {j(phone, '이고')}, {until}까지 통화 가능합니다.", f"My cell phone number is {phone}, and I am available until {until_en}."),
        (f"알겠습니다. {person} 과장님께 {j(phone, '으로')} 연락 드리라고 전하겠습니다.", f"Got it. I will tell Manager {person_en} to call you at {phone}."),
        (f"감사합니다. 납품이 {dm}월 {dd}일까지 가능한지도 여쭤봐 주세요.", f"Thank you. Please also ask whether delivery is possible by {_MONTHS[dm - 1]} {dd}."),
        (f"네, {dm}월 {dd}일 납품 가능 여부도 꼭 전해 드리겠습니다.", f"Sure, I will also pass on the question about delivery by {_MONTHS[dm - 1]} {dd}."),
    ]  # fmt: skip


def _scene_business_trip(r: _R) -> list[Pair]:
    (city, city_en), (firm, firm_en) = r.pick(_ABROAD), r.pick(_FIRMS)
    (day, day_en), (day2, day2_en) = r.two(_WEEKDAYS[:5])
    at, at_en = _hhmm(r.num(6, 11), r.num(0, 55, 5))
    nights = r.num(2, 6)
    price, budget = r.num(100000, 400000, 10000), r.num(1000000, 5000000, 100000)
    return [
        (f"다음 주 {day}에 {city} 출장이 잡혔어요.", f"A business trip to {city_en} has been scheduled for next {day_en}."),
        (f"{city} 가는 비행기는 {at} 출발로 예약해 둘까요?", f"Shall I book the flight to {city_en} departing at {at_en}?"),
        (f"네, 그리고 호텔은 {city} 공항 근처에 {nights}박으로 잡아 주세요.", f"Yes, and please book a hotel near the {city_en} airport for {nights} nights."),
        (f"{city} 호텔은 하룻밤에 {_won(price)}원 정도인데 괜찮으세요?", f"Hotels in {city_en} are about {_won(price)} won per night. Is that okay?"),
        (f"괜찮아요. 출장비는 {_won(budget)}원 안에서 맞춰 주세요.", f"That is fine. Please keep the travel expenses within {_won(budget)} won."),
        (f"알겠습니다. {city} 출장 일정표는 {day2}까지 이메일로 보내 드릴게요.", f"Understood. I will email you the itinerary for {city_en} by {day2_en}."),
        (f"고마워요. {city}에서 만날 {firm} 담당자 연락처도 부탁해요.", f"Thanks. Please also get the contact information of the person at {firm_en} whom I will meet in {city_en}."),
        (f"네, {firm} 담당자 연락처도 {day2}까지 함께 보내 드리겠습니다.", f"Sure, I will also send the contact information for {firm_en} by {day2_en}."),
    ]  # fmt: skip


def _scene_weekend(r: _R) -> list[Pair]:
    (city, city_en), (name, name_en), (rel, rel_en) = r.pick(CITIES), r.pick(PEOPLE), r.pick(RELATIVES)
    (day, day_en), (sky, sky_en), (outing, outing_en) = (
        r.pick(_WEEKDAYS[4:]),
        r.pick(_FORECASTS),
        r.pick(_OUTINGS),
    )
    (park, park_en), (season, season_en), (alt, alt_en) = r.pick(_PARKS), r.pick(_SEASONS), r.pick(_PLAN_B)
    (meet, meet_en), t, h = r.pick(_MEET_PLACES), r.num(5, 33), r.num(1, 6)
    return [
        (f"이번 주 {day}에 {city} 날씨가 어떨까요?", f"What will the weather be like in {city_en} this {day_en}?"),
        (f"일기예보를 보니까 {sky} 기온은 {t}도까지 올라간대요.", f"According to the forecast, it will be {sky_en} and the temperature will rise to {t} degrees."),
        (f"그럼 {j(rel, '과')} {park}에 {outing} 가려고요.", f"Then I am going to {outing_en} at {park_en} with my {rel_en}."),
        (f"좋네요. {j(park, '은')} {season}에 특히 예뻐서 {outing} 가기 좋아요.", f"Sounds good. {park_en} is especially pretty in {season_en}, so it is a good place to {outing_en}."),
        (f"{name} 씨도 시간 되면 {h}시쯤 같이 갈래요?", f"{name_en}, if you have time, do you want to come along at around {h} o'clock?"),
        (f"좋아요. {h}시에 {meet} 앞에서 만나요.", f"Sure. Let's meet in front of {meet_en} at {h} o'clock."),
        (f"혹시 {day}에 비가 오면 {j(alt, '으로')} 계획을 바꿔요.", f"If it rains on {day_en}, let's change the plan to {alt_en}."),
        (f"네, 그럼 {day} {h}시에 {meet} 앞에서 봐요.", f"Okay, see you in front of {meet_en} at {h} o'clock on {day_en} then."),
    ]  # fmt: skip


def _scene_hobby(r: _R) -> list[Pair]:
    (name, name_en), (when, when_en), (place, place_en) = (
        r.pick(PEOPLE),
        r.pick(_FREE_TIME),
        r.pick(_CLASS_PLACES),
    )
    sport, sport_en, verb_en = r.pick(_SPORTS)
    (day, day_en), y, k, fee = r.pick(_WEEKDAYS), r.num(2, 15), r.num(2, 5), r.num(30000, 150000, 5000)
    return [
        (f"{name} 씨는 {when} 보통 뭐 해요?", f"{name_en}, what do you usually do {when_en}?"),
        (f"저는 {j(sport, '을')} 해요. {y}년 정도 됐어요.", f"I {verb_en}. I have been doing it for about {y} years."),
        (f"와, {y}년이나요? {j(sport, '은')} 어디에서 해요?", f"Wow, {y} years? Where do you {verb_en}?"),
        (f"집 근처 {place}에서 일주일에 {k}번 {j(sport, '을')} 해요.", f"I {verb_en} at {place_en} near my house {k} times a week."),
        (f"저도 {place}에서 {j(sport, '을')} 배우고 싶은데 초보자도 할 수 있을까요?", f"I want to learn to {verb_en} at {place_en} too. Can beginners do it?"),
        (f"그럼요, {place}에 매주 {day} {sport} 초보자 수업이 있어요.", f"Of course, there is a beginners' {sport_en} class at {place_en} every {day_en}."),
        (f"{place} {sport} 수업은 한 달에 얼마예요?", f"How much is the {sport_en} class at {place_en} per month?"),
        (f"한 달에 {_won(fee)}원이고 첫 수업은 무료예요.", f"It is {_won(fee)} won a month, and the first class is free."),
    ]  # fmt: skip


# (대분류, 소분류, 상황, scene)
SCENES: tuple[tuple[str, str, str, Callable[[_R], list[Pair]]], ...] = (
    ("여행/쇼핑", "숙박", "호텔 체크인", _scene_hotel), ("여행/쇼핑", "식당", "음식 주문", _scene_restaurant),
    ("여행/쇼핑", "쇼핑", "옷 구매", _scene_clothes), ("여행/쇼핑", "교통", "택시 타기", _scene_taxi),
    ("비즈니스", "회의", "회의 일정 잡기", _scene_meeting), ("비즈니스", "전화", "거래처 통화", _scene_phone),
    ("비즈니스", "출장", "출장 준비", _scene_business_trip), ("일상대화", "날씨", "주말 계획", _scene_weekend),
    ("일상대화", "취미", "취미 이야기", _scene_hobby),
)  # fmt: skip


def _dialogue_records(r: _R, n: int, first_set: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    set_nr = first_set
    while len(out) < n:
        major, minor, situation, scene = r.pick(SCENES)
        lines = scene(r)
        turns = min(r.num(MIN_SET_TURNS, MAX_SET_TURNS), n - len(out))
        for t in range(turns):
            speaker = f"{'AB'[t % 2]}-{t // 2 + 1}"
            ko, en = lines[t]
            out.append(
                {
                    "대분류": major,
                    "소분류": minor,
                    "상황": situation,
                    "Set Nr.": set_nr,
                    "발화자": speaker,
                    SOURCE: ko,
                    TARGET: en,
                }
            )
        set_nr += 1
    return out


# ---------------------------------------------------------------- culture (한국문화)

_INGREDIENTS: tuple[Pair, ...] = (
    ("쌀", "rice"), ("소고기", "beef"), ("돼지고기", "pork"), ("닭고기", "chicken"), ("두부", "tofu"), ("김치", "kimchi"),
    ("고추장", "red pepper paste"), ("간장", "soy sauce"), ("마늘", "garlic"), ("파", "green onions"),
    ("버섯", "mushrooms"), ("달걀", "eggs"), ("당면", "glass noodles"), ("해산물", "seafood"),
)  # fmt: skip
_FOOD_REGIONS: tuple[Pair, ...] = (
    ("한국", "Korea"), ("전주", "Jeonju"), ("부산", "Busan"), ("춘천", "Chuncheon"), ("안동", "Andong"),
    ("제주", "Jeju"), ("평양", "Pyongyang"), ("남도", "the southern provinces"),
)  # fmt: skip
_TASTES: tuple[Pair, ...] = (
    ("매운", "spicy"), ("달콤한", "sweet"), ("짭짤한", "salty"), ("고소한", "nutty"), ("시원한", "refreshing"),
    ("담백한", "mild"),
)  # fmt: skip
# (name, English name, city, English city, kind, English kind)
_SIGHTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("경복궁", "Gyeongbokgung Palace", "서울", "Seoul", "궁궐", "palace"),
    ("창덕궁", "Changdeokgung Palace", "서울", "Seoul", "궁궐", "palace"),
    ("불국사", "Bulguksa Temple", "경주", "Gyeongju", "사찰", "temple"),
    ("석굴암", "Seokguram Grotto", "경주", "Gyeongju", "석굴 사원", "cave temple"),
    ("해운대 해수욕장", "Haeundae Beach", "부산", "Busan", "해수욕장", "beach"),
    ("한라산", "Hallasan Mountain", "제주", "Jeju", "산", "mountain"),
    ("설악산", "Seoraksan Mountain", "속초", "Sokcho", "산", "mountain"),
    ("수원 화성", "Hwaseong Fortress", "수원", "Suwon", "성곽", "fortress"),
    ("전주 한옥마을", "Jeonju Hanok Village", "전주", "Jeonju", "전통 마을", "traditional village"),
    ("하회마을", "Hahoe Village", "안동", "Andong", "전통 마을", "traditional village"),
    ("남산타워", "Namsan Tower", "서울", "Seoul", "전망대", "observatory"),
    ("해인사", "Haeinsa Temple", "합천", "Hapcheon", "사찰", "temple"),
)  # fmt: skip
_VISITORS: tuple[Pair, ...] = (
    ("관광객", "tourists"), ("외국인", "foreigners"), ("가족 단위 방문객", "families"), ("학생", "students"),
    ("사진작가", "photographers"),
)  # fmt: skip
_DESIGNATIONS: tuple[Pair, ...] = (
    ("유네스코 세계문화유산", "a UNESCO World Heritage Site"), ("국가 사적", "a national historic site"),
    ("국가 명승", "a national scenic site"), ("국가 보물", "a national treasure"),
)  # fmt: skip
_THEMES: tuple[Pair, ...] = (
    ("벚꽃", "Cherry Blossom"), ("불꽃", "Fireworks"), ("머드", "Mud"), ("등", "Lantern"), ("국화", "Chrysanthemum"),
    ("김치", "Kimchi"), ("눈꽃", "Snow Flower"), ("탈춤", "Mask Dance"),
)  # fmt: skip
_ACTIVITIES: tuple[Pair, ...] = (
    ("전통 공연", "traditional performances"), ("다양한 체험 프로그램", "various hands-on programs"),
    ("지역 음식", "local food"), ("야간 불꽃놀이", "night fireworks"), ("거리 퍼레이드", "a street parade"),
    ("전통 놀이", "traditional games"),
)  # fmt: skip
_HOLIDAYS: tuple[Pair, ...] = (
    ("설날", "Seollal"), ("추석", "Chuseok"), ("정월 대보름", "Jeongwol Daeboreum"), ("동지", "Dongji"),
)  # fmt: skip
_HOLIDAY_FOODS: tuple[Pair, ...] = (
    ("떡국", "tteokguk"), ("송편", "songpyeon"), ("팥죽", "red bean porridge"), ("오곡밥", "five-grain rice"),
    ("전", "savory pancakes"), ("식혜", "sikhye"),
)  # fmt: skip
_CUSTOMS: tuple[Pair, ...] = (
    ("어른들께 세배를 한다", "bow to their elders"), ("윷놀이를 한다", "play yunnori"),
    ("성묘를 한다", "visit their ancestors' graves"), ("차례를 지낸다", "hold ancestral rites"),
    ("연을 날린다", "fly kites"), ("보름달을 보며 소원을 빈다", "make wishes on the full moon"),
)  # fmt: skip
_GATHERERS: tuple[Pair, ...] = (
    ("가족들이", "families"), ("친척들이", "relatives"), ("온 가족이", "all the family members"),
    ("마을 사람들이", "villagers"),
)  # fmt: skip
_CRAFTS: tuple[Pair, ...] = (
    ("한지", "Hanji"), ("옹기", "Onggi"), ("나전칠기", "Najeon chilgi"), ("한복", "Hanbok"),
    ("부채", "The traditional fan"), ("매듭", "Maedeup"), ("탈", "The traditional mask"), ("갓", "Gat"),
)  # fmt: skip
_CRAFT_KINDS: tuple[Pair, ...] = (
    ("공예품", "craft"), ("생활용품", "household item"), ("예술품", "work of art"),
)  # fmt: skip
_ERAS: tuple[Pair, ...] = (
    ("삼국", "Three Kingdoms"), ("고려", "Goryeo"), ("조선", "Joseon"), ("신라", "Silla"), ("백제", "Baekje"),
)  # fmt: skip
_MATERIALS: tuple[Pair, ...] = (
    ("닥나무", "mulberry bark"), ("흙", "clay"), ("자개", "mother-of-pearl"), ("대나무", "bamboo"), ("나무", "wood"),
    ("비단", "silk"), ("삼베", "hemp cloth"),
)  # fmt: skip


def _cul_food(r: _R) -> tuple[str, str, str]:
    (food, food_en), (region, region_en) = r.pick(FOODS), r.pick(_FOOD_REGIONS)
    (a, a_en), (b, b_en) = r.two(_INGREDIENTS)
    ko = f"{j(food, '은')} {j(a, '과')} {j(b, '을')} 넣어 만든 {region}의 대표적인 음식이다."
    en = cap(f"{food_en} is a representative dish of {region_en} made with {a_en} and {b_en}.")
    return ko, en, food


def _cul_taste(r: _R) -> tuple[str, str, str]:
    (food, food_en), (region, region_en) = r.pick(FOODS), r.pick(_FOOD_REGIONS)
    (season, season_en), (taste, taste_en) = r.pick(_SEASONS), r.pick(_TASTES)
    ko = f"{region} 사람들은 {j(food, '을')} 주로 {season}에 먹는데, {taste} 맛이 특징이다."
    en = cap(
        f"people in {region_en} mainly eat {food_en} in {season_en}, and it is known for its {taste_en} taste."
    )
    return ko, en, food


def _cul_sight(r: _R) -> tuple[str, str, str]:
    name, name_en, city, city_en, kind, kind_en = r.pick(_SIGHTS)
    (season, season_en), (who, who_en) = r.pick(_SEASONS), r.pick(_VISITORS)
    ko = f"{j(name, '은')} {city}에 있는 {j(kind, '으로')}, {season}에 특히 많은 {j(who, '이')} 찾는다."
    en = f"{name_en} is a {kind_en} in {city_en}, and many {who_en} visit it especially in {season_en}."
    return ko, en, name


def _cul_heritage(r: _R) -> tuple[str, str, str]:
    name, name_en, city, city_en, _, _ = r.pick(_SIGHTS)
    designation, designation_en = r.pick(_DESIGNATIONS)
    y = r.num(1962, 2019)
    ko = f"{city}의 {j(name, '은')} {y}년에 {j(designation, '으로')} 지정되었다."
    en = f"{name_en} in {city_en} was designated as {designation_en} in {y}."
    return ko, en, name


def _cul_festival(r: _R) -> tuple[str, str, str]:
    (city, city_en), (theme, theme_en), (act, act_en) = r.pick(CITIES), r.pick(_THEMES), r.pick(_ACTIVITIES)
    m = r.num(1, 12)
    ko = f"{city} {theme} 축제는 매년 {m}월에 열리며, 방문객들은 {j(act, '을')} 즐길 수 있다."
    en = f"The {city_en} {theme_en} Festival is held every {_MONTHS[m - 1]}, and visitors can enjoy {act_en}."
    return ko, en, f"{theme} 축제"


def _cul_holiday(r: _R) -> tuple[str, str, str]:
    (day, day_en), (who, who_en) = r.pick(_HOLIDAYS), r.pick(_GATHERERS)
    (food, food_en), (custom, custom_en) = r.pick(_HOLIDAY_FOODS), r.pick(_CUSTOMS)
    ko = f"{day}에는 {who} 모여 {j(food, '을')} 먹고 {custom}."
    en = f"On {day_en}, {who_en} gather to eat {food_en} and {custom_en}."
    return ko, en, day


def _cul_craft(r: _R) -> tuple[str, str, str]:
    (craft, craft_en), (kind, kind_en), (era, era_en), (mat, mat_en) = (
        r.pick(_CRAFTS),
        r.pick(_CRAFT_KINDS),
        r.pick(_ERAS),
        r.pick(_MATERIALS),
    )
    ko = f"{j(craft, '은')} {era} 시대부터 전해 내려온 전통 {j(kind, '으로')}, 주로 {j(mat, '으로')} 만든다."
    en = f"{craft_en} is a traditional {kind_en} handed down since the {era_en} period, and it is mainly made of {mat_en}."
    return ko, en, craft


_CULTURE_TEMPLATES: tuple[tuple[Callable[[_R], tuple[str, str, str]], float], ...] = (
    (_cul_food, 1.0), (_cul_taste, 1.0), (_cul_sight, 0.8), (_cul_heritage, 0.8), (_cul_festival, 1.0),
    (_cul_holiday, 0.6), (_cul_craft, 0.6),
)  # fmt: skip


def _culture_records(r: _R, n: int, first_id: int) -> list[dict[str, Any]]:
    weights = [w for _, w in _CULTURE_TEMPLATES]
    out = []
    for i in range(n):
        ko, en, keyword = _CULTURE_TEMPLATES[r.weighted(weights)][0](r)
        out.append({"ID": first_id + i, "키워드": keyword, SOURCE: ko, TARGET: en})
    return out


# ---------------------------------------------------------------- ordinances (조례)

# (지자체, English name, head, English head, unit, English unit)
_ORD_GOVS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("서울특별시", "Seoul", "서울특별시장", "the Mayor of Seoul", "시", "the City"),
    ("부산광역시", "Busan", "부산광역시장", "the Mayor of Busan", "시", "the City"),
    ("대구광역시", "Daegu", "대구광역시장", "the Mayor of Daegu", "시", "the City"),
    ("인천광역시", "Incheon", "인천광역시장", "the Mayor of Incheon", "시", "the City"),
    ("경기도", "Gyeonggi Province", "경기도지사", "the Governor of Gyeonggi Province", "도", "the Province"),
    ("강원도", "Gangwon Province", "강원도지사", "the Governor of Gangwon Province", "도", "the Province"),
    ("서울특별시 강남구", "Gangnam-gu", "강남구청장", "the head of Gangnam-gu", "구", "the Gu"),
    ("부산광역시 해운대구", "Haeundae-gu", "해운대구청장", "the head of Haeundae-gu", "구", "the Gu"),
    ("경기도 수원시", "Suwon", "수원시장", "the Mayor of Suwon", "시", "the City"),
    ("전라북도 전주시", "Jeonju", "전주시장", "the Mayor of Jeonju", "시", "the City"),
    ("강원도 평창군", "Pyeongchang County", "평창군수", "the head of Pyeongchang County", "군", "the County"),
    ("충청남도 공주시", "Gongju", "공주시장", "the Mayor of Gongju", "시", "the City"),
)  # fmt: skip
# (purpose, English purpose, law, English law)
_PURPOSES: tuple[tuple[str, str, str, str], ...] = (
    ("주차장의 설치 및 관리", "the installation and management of parking lots", "주차장법", "Parking Lot Act"),
    ("공원의 조성 및 관리", "the creation and management of parks", "도시공원법", "Urban Parks Act"),
    ("청소년 보호", "youth protection", "청소년 보호법", "Juvenile Protection Act"),
    ("노인 복지 증진", "the promotion of welfare for the elderly", "노인복지법", "Welfare of Older Persons Act"),
    ("생활폐기물 관리", "the management of household waste", "폐기물관리법", "Wastes Control Act"),
    ("문화예술 진흥", "the promotion of culture and arts", "문화예술진흥법", "Culture and Arts Promotion Act"),
    ("장애인 편의 증진", "improving convenience for persons with disabilities", "장애인복지법", "Act on Welfare of Persons with Disabilities"),
    ("도시 경관 관리", "the management of the urban landscape", "경관법", "Landscape Act"),
    ("자원봉사 활성화", "the activation of volunteer work", "자원봉사활동 기본법", "Framework Act on Volunteer Services"),
    ("에너지 절약", "energy saving", "에너지법", "Energy Act"),
    ("전통시장 지원", "support for traditional markets", "전통시장법", "Traditional Markets Act"),
    ("평생교육 진흥", "the promotion of lifelong education", "평생교육법", "Lifelong Education Act"),
)  # fmt: skip
_TERMS: tuple[Pair, ...] = (
    ("공영주차장", "public parking lot"), ("도시공원", "urban park"), ("청소년시설", "youth facility"),
    ("경로당", "senior center"), ("재활용센터", "recycling center"), ("공연장", "performance hall"), ("쉼터", "shelter"),
    ("작은도서관", "small library"), ("공동체시설", "community facility"), ("체육시설", "sports facility"),
)  # fmt: skip
_FACILITIES: tuple[Pair, ...] = (("시설", "facility"), ("공간", "space"), ("장소", "place"))
_COMMITTEES: tuple[Pair, ...] = (
    ("주차정책위원회", "Parking Policy Committee"), ("청소년육성위원회", "Youth Development Committee"),
    ("문화예술위원회", "Culture and Arts Committee"), ("환경보전위원회", "Environmental Conservation Committee"),
    ("노인복지위원회", "Senior Welfare Committee"), ("도시계획위원회", "Urban Planning Committee"),
)  # fmt: skip
_SUBSIDIES: tuple[Pair, ...] = (
    ("시설 개선", "improving facilities"), ("교육 프로그램 운영", "running education programs"),
    ("행사 개최", "holding events"), ("장비 구입", "purchasing equipment"), ("홍보 활동", "promotional activities"),
    ("연구 조사", "research and surveys"),
)  # fmt: skip
_FINES = (10, 20, 30, 50, 100, 200, 300)


def _ord_purpose(r: _R, gov: tuple[str, ...]) -> Pair:
    purpose, purpose_en, law, law_en = r.pick(_PURPOSES)
    if r.chance(0.5):
        return (
            f"제1조(목적) 이 조례는 「{law}」에 따라 {gov[0]}의 {purpose}에 필요한 사항을 규정함을 목적으로 한다.",
            f"Article 1 (Purpose) The purpose of this ordinance is to prescribe matters necessary for {purpose_en} in {gov[1]} pursuant to the {law_en}.",
        )  # fmt: skip
    return (
        f"제1조(목적) 이 조례는 {gov[0]}의 {purpose}에 필요한 사항을 규정함을 목적으로 한다.",
        f"Article 1 (Purpose) The purpose of this ordinance is to prescribe matters necessary for {purpose_en} in {gov[1]}.",
    )


def _ord_definition(r: _R, gov: tuple[str, ...]) -> Pair:
    (term, term_en), (fac, fac_en) = r.pick(_TERMS), r.pick(_FACILITIES)
    purpose, purpose_en, _, _ = r.pick(_PURPOSES)
    n = r.num(2, 3)
    return (
        f"제{n}조(정의) 이 조례에서 “{term}”이란 {j(gov[4], '이')} {j(purpose, '을')} 위하여 설치하여 운영하는 {j(fac, '을')} 말한다.",
        f'Article {n} (Definitions) In this ordinance, the term "{term_en}" means a {fac_en} installed and operated by {gov[5]} for {purpose_en}.',
    )  # fmt: skip


def _ord_committee(r: _R, gov: tuple[str, ...]) -> Pair:
    (committee, committee_en) = r.pick(_COMMITTEES)
    n, m = r.num(3, 20), r.num(7, 20)
    return (
        f"제{n}조(위원회의 구성) {j(committee, '은')} 위원장을 포함한 {m}명 이내의 위원으로 구성한다.",
        f"Article {n} (Composition of the Committee) The {committee_en} shall consist of not more than {m} members, including the chairperson.",
    )  # fmt: skip


def _ord_duty(r: _R, gov: tuple[str, ...]) -> Pair:
    purpose, purpose_en, _, _ = r.pick(_PURPOSES)
    n = r.num(2, 10)
    head, head_en = gov[2], gov[3]
    return (
        f"제{n}조({head}의 책무) {j(head, '은')} {j(purpose, '을')} 위하여 필요한 시책을 수립하고 시행하여야 한다.",
        f"Article {n} (Responsibilities of {head_en}) {cap(head_en)} shall establish and implement policies necessary for {purpose_en}.",
    )  # fmt: skip


def _ord_subsidy(r: _R, gov: tuple[str, ...]) -> Pair:
    (what, what_en) = r.pick(_SUBSIDIES)
    n = r.num(4, 20)
    head, head_en = gov[2], gov[3]
    return (
        f"제{n}조(보조금 지원) {j(head, '은')} 예산의 범위에서 {what}에 필요한 비용의 전부 또는 일부를 지원할 수 있다.",
        f"Article {n} (Subsidies) {cap(head_en)} may provide all or part of the costs necessary for {what_en} within the budget.",
    )  # fmt: skip


def _ord_fine(r: _R, gov: tuple[str, ...]) -> Pair:
    n = r.num(10, 30)
    m, k = r.num(2, n - 1), r.pick(_FINES)
    return (
        f"제{n}조(과태료) 제{m}조를 위반한 자에게는 {k}만원 이하의 과태료를 부과한다.",
        f"Article {n} (Fines) A fine of not more than {_won(k * 10000)} won shall be imposed on a person who violates Article {m}.",
    )  # fmt: skip


def _ord_effective(r: _R, gov: tuple[str, ...]) -> Pair:
    y, m, d = r.num(2010, 2020), r.num(1, 12), r.num(1, 28)
    return (
        f"이 조례는 {y}년 {m}월 {d}일부터 시행한다.",
        f"This ordinance shall take effect on {_MONTHS[m - 1]} {d}, {y}.",
    )


def _ord_entrust(r: _R, gov: tuple[str, ...]) -> Pair:
    purpose, purpose_en, _, _ = r.pick(_PURPOSES)
    n = r.num(5, 25)
    head, head_en = gov[2], gov[3]
    return (
        f"제{n}조(사무의 위탁) {j(head, '은')} {purpose}에 관한 사무를 관련 법인이나 단체에 위탁할 수 있다.",
        f"Article {n} (Entrustment of Affairs) {cap(head_en)} may entrust affairs concerning {purpose_en} to a relevant corporation or organization.",
    )  # fmt: skip


_ORDINANCE_TEMPLATES: tuple[tuple[Callable[[_R, tuple[str, ...]], Pair], float], ...] = (
    (_ord_purpose, 0.8), (_ord_definition, 1.0), (_ord_committee, 1.0), (_ord_duty, 1.0),
    (_ord_subsidy, 1.0), (_ord_fine, 1.0), (_ord_effective, 0.6), (_ord_entrust, 1.0),
)  # fmt: skip


def _ordinance_records(r: _R, n: int, first_id: int) -> list[dict[str, Any]]:
    weights = [w for _, w in _ORDINANCE_TEMPLATES]
    out = []
    for i in range(n):
        gov = r.pick(_ORD_GOVS)
        ko, en = _ORDINANCE_TEMPLATES[r.weighted(weights)][0](r, gov)
        out.append({"ID": first_id + i, "지자체": gov[0], SOURCE: ko, TARGET: en})
    return out


# ---------------------------------------------------------------- local-government websites (지자체웹사이트)

# (지자체, short name, English name, phone area code)
_LOCAL_GOVS: tuple[tuple[str, str, str, str], ...] = (
    ("서울특별시 마포구", "마포구", "Mapo-gu", "02"), ("부산광역시 해운대구", "해운대구", "Haeundae-gu", "051"),
    ("경기도 수원시", "수원시", "Suwon City", "031"), ("전라북도 전주시", "전주시", "Jeonju City", "063"),
    ("강원도 춘천시", "춘천시", "Chuncheon City", "033"), ("경상북도 경주시", "경주시", "Gyeongju City", "054"),
    ("충청북도 청주시", "청주시", "Cheongju City", "043"), ("대구광역시 수성구", "수성구", "Suseong-gu", "053"),
    ("인천광역시 연수구", "연수구", "Yeonsu-gu", "032"), ("강원도 평창군", "평창군", "Pyeongchang County", "033"),
    ("전라남도 순천시", "순천시", "Suncheon City", "061"), ("경기도 성남시", "성남시", "Seongnam City", "031"),
)  # fmt: skip
_PROGRAMS: tuple[Pair, ...] = (
    ("무료 건강 검진", "free health checkups"), ("노인 일자리 사업", "the senior job program"),
    ("청년 창업 교육", "youth startup training"), ("어린이 수영 교실", "children's swimming classes"),
    ("주민 요가 강좌", "yoga classes for residents"), ("무료 법률 상담", "free legal consultations"),
    ("문화 해설사 양성 과정", "the cultural guide training course"),
    ("전기차 구매 보조금", "electric vehicle purchase subsidies"), ("스마트폰 활용 교육", "smartphone training"),
)  # fmt: skip
_OFFICES: tuple[Pair, ...] = (
    ("주민센터", "a community service center"), ("민원실", "the civil service office"),
    ("보건소", "the public health center"), ("일자리센터", "the job center"),
)  # fmt: skip
_PUBLIC_PLACES: tuple[Pair, ...] = (
    ("공공도서관", "public library"), ("체육센터", "sports center"), ("수영장", "swimming pool"),
    ("문화회관", "cultural center"), ("박물관", "museum"), ("청소년수련관", "youth center"), ("미술관", "art museum"),
)  # fmt: skip
_DEPTS: tuple[Pair, ...] = (
    ("복지정책과", "Welfare Policy Division"), ("교통행정과", "Transportation Administration Division"),
    ("문화관광과", "Culture and Tourism Division"), ("환경과", "Environment Division"),
    ("일자리경제과", "Jobs and Economy Division"), ("건강증진과", "Health Promotion Division"),
)  # fmt: skip
_TARGETS: tuple[Pair, ...] = (
    ("어르신", "senior citizens"), ("청소년", "teenagers"), ("주민", "residents"), ("어린이", "children"),
    ("대학생", "college students"), ("직장인", "office workers"), ("임산부", "pregnant women"),
    ("혼자 사는 주민", "residents living alone"),
)  # fmt: skip
_AID: tuple[Pair, ...] = (
    ("난방비", "heating costs"), ("주거 환경 개선", "housing improvements"), ("태양광 설치", "solar panel installation"),
    ("교복 구입비", "school uniform costs"), ("전기차 구매", "electric vehicle purchases"),
    ("어린이집 보육료", "daycare fees"),
)  # fmt: skip


def _web_applications(r: _R, gov: tuple[str, ...]) -> Pair:
    program, program_en = r.pick(_PROGRAMS)
    m, d = r.num(1, 12), r.num(1, 28)
    return (
        f"{j(gov[1], '은')} {m}월 {d}일부터 {program} 신청을 받는다고 밝혔습니다.",
        f"{gov[2]} announced that it will accept applications for {program_en} from {_MONTHS[m - 1]} {d}.",
    )


def _web_how_to_apply(r: _R, gov: tuple[str, ...]) -> Pair:
    (program, program_en), (office, office_en) = r.pick(_PROGRAMS), r.pick(_OFFICES)
    return (
        f"{program} 신청은 {gov[1]} {j(office, '을')} 방문하거나 {gov[1]} 홈페이지에서 할 수 있습니다.",
        f"Applications for {program_en} can be made by visiting {office_en} in {gov[2]} or on the {gov[2]} website.",
    )


def _web_closed(r: _R, gov: tuple[str, ...]) -> Pair:
    place, place_en = r.pick(_PUBLIC_PLACES)
    m, d, k = r.num(1, 12), r.num(1, 28), r.num(2, 14)
    return (
        f"{gov[1]} {j(place, '은')} 시설 점검으로 {m}월 {d}일부터 {k}일간 휴관합니다.",
        f"The {gov[2]} {place_en} will be closed for {k} days from {_MONTHS[m - 1]} {d} for facility inspections.",
    )


def _web_contact(r: _R, gov: tuple[str, ...]) -> Pair:
    dept, dept_en = r.pick(_DEPTS)
    phone = f"{gov[3]}-{r.num(100, 999)}-{r.num(1000, 9999)}"
    return (
        f"자세한 사항은 {gov[1]} {dept}({phone})에 문의하시기 바랍니다.",
        f"For more information, please contact the {dept_en} of {gov[2]} ({phone}).",
    )


def _web_recruit(r: _R, gov: tuple[str, ...]) -> Pair:
    (target, target_en), (program, program_en) = r.pick(_TARGETS), r.pick(_PROGRAMS)
    n = r.num(10, 100, 5)
    return (
        f"{gov[1]}에 사는 {j(target, '을')} 대상으로 {program} 참가자 {n}명을 선착순으로 모집합니다.",
        f"We are recruiting {n} participants for {program_en} among {target_en} in {gov[2]} on a first-come, first-served basis.",
    )  # fmt: skip


def _web_schedule(r: _R, gov: tuple[str, ...]) -> Pair:
    (program, program_en), (place, place_en), (day, day_en) = (
        r.pick(_PROGRAMS),
        r.pick(_PUBLIC_PLACES),
        r.pick(_WEEKDAYS),
    )
    h = r.num(9, 16)
    (start, start_en), (end, end_en) = _clock(h), _clock(h + 2)
    return (
        f"{j(program, '은')} 매주 {day} {start}부터 {end}까지 {gov[1]} {place}에서 진행됩니다.",
        f"We hold {program_en} every {day_en} from {start_en} to {end_en} at the {gov[2]} {place_en}.",
    )


def _web_aid(r: _R, gov: tuple[str, ...]) -> Pair:
    aid, aid_en = r.pick(_AID)
    y, k = r.num(2018, 2020), r.num(10, 500, 10)
    return (
        f"{j(gov[1], '은')} {y}년 {aid} 지원 사업으로 가구당 최대 {k}만원을 지원합니다.",
        f"Through its {y} support project for {aid_en}, {gov[2]} provides up to {_won(k * 10000)} won per household.",
    )


def _web_event(r: _R, gov: tuple[str, ...]) -> Pair:
    (event, event_en), (venue, venue_en) = r.pick(EVENTS), r.pick(VENUES)
    m, d = r.num(1, 12), r.num(1, 28)
    return (
        f"{m}월 {d}일 {gov[1]} {venue}에서 {j(event, '이')} 열리니 주민 여러분의 많은 참여 바랍니다.",
        cap(f"{event_en} will be held at {venue_en} in {gov[2]} on {_MONTHS[m - 1]} {d}, and we hope many residents will take part."),
    )  # fmt: skip


_WEB_TEMPLATES: tuple[tuple[Callable[[_R, tuple[str, ...]], Pair], float], ...] = (
    (_web_applications, 1.0), (_web_how_to_apply, 1.0), (_web_closed, 1.0), (_web_contact, 1.0),
    (_web_recruit, 1.0), (_web_schedule, 1.0), (_web_aid, 1.0), (_web_event, 1.0),
)  # fmt: skip


def _local_gov_records(r: _R, n: int, first_id: int) -> list[dict[str, Any]]:
    weights = [w for _, w in _WEB_TEMPLATES]
    out = []
    for i in range(n):
        gov = r.pick(_LOCAL_GOVS)
        ko, en = _WEB_TEMPLATES[r.weighted(weights)][0](r, gov)
        out.append({"ID": first_id + i, "지자체": gov[0], SOURCE: ko, TARGET: en})
    return out


_RECORDS: dict[str, Callable[[_R, int, int], list[dict[str, Any]]]] = {
    "news": _news_records,
    "colloquial": _colloquial_records,
    "dialogue": _dialogue_records,
    "culture": _culture_records,
    "ordinance": _ordinance_records,
    "local_gov": _local_gov_records,
}


# ---------------------------------------------------------------- quirks


def _quirk_count(rate: float, n: int, least: int = 1) -> int:
    """How many rows get a quirk: ``rate * n``, at least ``least`` from QUIRK_MIN_ROWS rows on."""
    return max(least, round(rate * n)) if n >= QUIRK_MIN_ROWS else 0


def _add_quirks(records: list[dict[str, Any]], domain: str, r: _R) -> list[dict[str, Any] | None]:
    """Duplicates (not in dialogue), blank 번역문/원문 cells and blank rows (``None``)."""
    n = len(records)
    order = [int(i) for i in r.rng.permutation(n)]  # each row gets at most one cell quirk
    blank_target = order[: _quirk_count(BLANK_TARGET_RATE, n)]
    blank_source = order[len(blank_target) : len(blank_target) + _quirk_count(BLANK_SOURCE_RATE, n, 0)]
    intact = sorted(order[len(blank_target) + len(blank_source) :])
    if domain != "dialogue" and len(intact) >= 2:
        k = min(_quirk_count(DUPLICATE_RATE, n), len(intact) - 1)
        copies = sorted(int(i) for i in r.rng.choice(len(intact) - 1, k, replace=False) + 1)
        copied = set(copies)
        for c in copies:  # copy an earlier intact row that is not itself a copy (row 0 never is)
            src = records[intact[r.pick([s for s in range(c) if s not in copied])]]
            records[intact[c]] = {**records[intact[c]], SOURCE: src[SOURCE], TARGET: src[TARGET]}
    for i in blank_target:
        records[i][TARGET] = None
    for i in blank_source:
        records[i][SOURCE] = None
    # blank rows go between records (between sets in the dialogue file), never first or last
    slots = [i for i in range(1, n) if domain != "dialogue" or records[i]["발화자"] == "A-1"]
    k = min(_quirk_count(BLANK_ROW_RATE, n), len(slots))
    before = {slots[int(i)] for i in r.rng.choice(len(slots), k, replace=False)} if k else set()
    out: list[dict[str, Any] | None] = []
    for i, rec in enumerate(records):
        if i in before:
            out.append(None)
        out.append(rec)
    return out


# ---------------------------------------------------------------- writing


def _resolve_rows(rows_per_file: Mapping[str, int] | None, scale: float) -> dict[str, int]:
    """Rows per file (release order, files with no rows left out), after ``scale``."""
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    counts = dict(DEFAULT_ROWS) if rows_per_file is None else {}
    if rows_per_file is not None:
        for name, n in rows_per_file.items():
            key = unicodedata.normalize("NFC", str(name))
            if key not in FILES:
                raise ValueError(f"rows_per_file has an unknown file {name!r}; known: {list(FILES)}")
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < ID_BLOCK:
                raise ValueError(
                    f"rows_per_file[{name!r}] must be an integer in 0..{ID_BLOCK - 1}, got {n!r}"
                )
            counts[key] = n
    scaled = {name: max(1, round(counts[name] * scale)) for name in FILES if counts.get(name, 0) > 0}
    too_many = {name: n for name, n in scaled.items() if n >= ID_BLOCK}
    if too_many:
        raise ValueError(f"at most {ID_BLOCK - 1} rows per file, got {too_many} after scale={scale}")
    return scaled


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def synthetic_records(
    name: str, n: int, *, seed: int = 0, quirks: bool = True
) -> list[dict[str, Any] | None]:
    """The rows of one workbook as header -> value dicts (``None`` for a blank row)."""
    name = unicodedata.normalize("NFC", name)
    domain = FILES[name]
    index = FILE_NAMES.index(name)
    # IDs / set numbers: a block of ID_BLOCK per file of a domain (news(2) starts at 100001, ...)
    first = 1 + ID_BLOCK * sum(FILES[f] == domain for f in FILE_NAMES[:index])
    r = _R(np.random.default_rng([seed, index]))
    records = _RECORDS[domain](r, n, first)
    if not quirks:
        return list(records)
    return _add_quirks(records, domain, _R(np.random.default_rng([seed, index, 1])))


def write_synthetic_nmt_corpus(
    out_dir: str | Path,
    *,
    rows_per_file: Mapping[str, int] | None = None,
    scale: float = 1.0,
    quirks: bool = True,
    seed: int = 0,
) -> Path:
    """Write the ten workbooks (or those in ``rows_per_file``) under ``out_dir`` and return it.

    ``rows_per_file``: file name -> data rows (default ``DEFAULT_ROWS``; files left out or with 0 rows
    are not written), multiplied by ``scale`` (at least one row per written file). ``quirks`` adds
    blank rows, blank cells and duplicate pairs. Same arguments, same bytes.
    """
    counts = _resolve_rows(rows_per_file, scale)
    _check_seed(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, n in counts.items():
        header = HEADERS[FILES[name]]
        rows = [
            [] if rec is None else [rec.get(col) for col in header]
            for rec in synthetic_records(name, n, seed=seed, quirks=quirks)
        ]
        write_reproducible_xlsx(out / name, SHEET_TITLE, header, rows)
    return out


# ---------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments in canonical form (what names a cached twin; see ``DatasetSpec``):
    ``scale`` is folded into ``rows_per_file``."""
    counts = _resolve_rows(kwargs["rows_per_file"], kwargs["scale"])
    _check_seed(kwargs["seed"])
    return {"rows_per_file": counts, "quirks": bool(kwargs["quirks"]), "seed": int(kwargs["seed"])}


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth nmt_corpus``: about ``samples`` sentence pairs over the ten workbooks, in
    the twin's default proportions."""
    return {"scale": max(1, samples) / sum(DEFAULT_ROWS.values())}


def remove_one_workbook(root: Path) -> Path:
    """Delete the first workbook of a twin, leaving a link to where it was (workbooks are found by
    name pattern, so only a dangling link shows one missing), and return its path."""
    path = min(Path(root).glob("*.xlsx"))
    path.unlink()
    path.symlink_to(path.with_name(f"gone-{path.name}"))
    return path
