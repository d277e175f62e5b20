"""The catalogue as one Excel workbook (docs/catalogue-excel.md), converted to and from the JSON
interchange document so that there is one importer and one set of rules.

Four sheets: 事项 (one row per item), 材料 (one row per material), 情形 (one row per option of a
situation) and 保留证明 (one row per retained proof). Row 1 holds the Chinese headers, row 2 the
field codes (columns are found by their code, so their order may change), data starts on row 3.
Problems name sheet, row and column: ``材料!R12 C4 (name)``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import openpyxl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException

from quanban.accounts.models import User
from quanban.catalogue.interchange import (
    FORMAT,
    FORMAT_VERSION,
    ImportProblem,
    ImportReport,
    Progress,
    catalogue_export_json,
    catalogue_import,
)
from quanban.core.errors import ValidationFailed

ITEMS, MATERIALS, SITUATIONS, PROOFS = "事项", "材料", "情形", "保留证明"
YES, NO = "是", "否"
LIST_SEP = ";"  # codes, sequence numbers and legal-basis entries
PART_SEP = "|"  # the parts of one entry: 法律名称|条款, 名称|标准|依据|可减免, 问|答
LINE_SEP = "\n"  # fees and FAQ entries: free text, one entry a line

# (field code, Chinese header, kind). Kinds: text, opt (text or empty → null), date, int, bool,
# codes (;-separated codes), seqs (;-separated integers), legal, fees, faq.
Column = tuple[str, Any, str]
ITEM_COLUMNS: tuple[Column, ...] = (
    ("implementation_code", gettext_lazy("实施编码"), "text"),
    ("basic_code", gettext_lazy("基本编码"), "text"),
    ("implementing_department", gettext_lazy("实施主体统一社会信用代码"), "text"),
    ("state", gettext_lazy("状态"), "text"),
    ("valid_from", gettext_lazy("生效日期"), "date"),
    ("valid_until", gettext_lazy("失效日期"), "date"),
    ("name", gettext_lazy("事项名称"), "text"),
    ("short_description", gettext_lazy("事项简介"), "text"),
    ("keywords", gettext_lazy("关键词"), "text"),
    ("item_type", gettext_lazy("事项类型"), "text"),
    ("exercise_level", gettext_lazy("行使层级"), "text"),
    ("service_objects", gettext_lazy("服务对象"), "codes"),
    ("co_departments", gettext_lazy("联办部门"), "codes"),
    ("legal_basis", gettext_lazy("设定依据"), "legal"),
    ("acceptance_conditions", gettext_lazy("受理条件"), "text"),
    ("handling_forms", gettext_lazy("办理形式"), "codes"),
    ("case_kind", gettext_lazy("办件类型"), "text"),
    ("legal_limit_days", gettext_lazy("法定办结时限（工作日）"), "int"),
    ("promised_limit_days", gettext_lazy("承诺办结时限（工作日）"), "int"),
    ("visits_required", gettext_lazy("到办事现场次数"), "int"),
    ("online_depth", gettext_lazy("网上办理深度"), "text"),
    ("fees", gettext_lazy("收费"), "fees"),
    ("result_name", gettext_lazy("审批结果名称"), "text"),
    ("result_licence_type", gettext_lazy("结果证照类型"), "text"),
    ("handling_place", gettext_lazy("办理地点"), "text"),
    ("handling_hours", gettext_lazy("办理时间"), "text"),
    ("consult_phone", gettext_lazy("咨询电话"), "text"),
    ("supervise_phone", gettext_lazy("监督电话"), "text"),
    ("faq", gettext_lazy("常见问题"), "faq"),
    ("agent_service", gettext_lazy("提供代办服务"), "bool"),
    ("process.kind", gettext_lazy("办理流程"), "text"),
    ("process.co_review_departments", gettext_lazy("并联审查部门"), "codes"),
    ("process.meeting_allowed", gettext_lazy("允许会审"), "bool"),
    ("process.instant_rule_set", gettext_lazy("秒批规则集"), "text"),
    ("process.commitment_allowed", gettext_lazy("允许告知承诺"), "bool"),
    ("process.inspection_required", gettext_lazy("需现场核查"), "bool"),
    ("commitment_text", gettext_lazy("告知承诺书内容"), "text"),
)
MATERIAL_COLUMNS: tuple[Column, ...] = (
    ("implementation_code", gettext_lazy("实施编码"), "text"),
    ("seq", gettext_lazy("材料序号"), "int"),
    ("name", gettext_lazy("材料名称"), "text"),
    ("form", gettext_lazy("材料形式"), "text"),
    ("original_count", gettext_lazy("原件份数"), "int"),
    ("copy_count", gettext_lazy("复印件份数"), "int"),
    ("necessity", gettext_lazy("必要性"), "text"),
    ("is_core", gettext_lazy("主审要件"), "bool"),
    ("source", gettext_lazy("来源渠道"), "text"),
    ("source_ref", gettext_lazy("来源说明"), "text"),
    ("legal_basis", gettext_lazy("要求依据"), "text"),
    ("is_proof", gettext_lazy("属于证明事项"), "bool"),
    ("retained_proof", gettext_lazy("保留证明编号"), "opt"),
    ("situational", gettext_lazy("仅特定情形需要"), "bool"),
    ("notes", gettext_lazy("填报说明"), "text"),
)
SITUATION_COLUMNS: tuple[Column, ...] = (
    ("implementation_code", gettext_lazy("实施编码"), "text"),
    ("situation_seq", gettext_lazy("情形序号"), "int"),
    ("question", gettext_lazy("问题"), "text"),
    ("option_seq", gettext_lazy("选项序号"), "int"),
    ("label", gettext_lazy("选项"), "text"),
    ("adds_materials", gettext_lazy("增加材料（序号）"), "seqs"),
    ("removes_materials", gettext_lazy("减少材料（序号）"), "seqs"),
    ("adds_conditions", gettext_lazy("增加的受理条件"), "text"),
)
PROOF_COLUMNS: tuple[Column, ...] = (
    ("code", gettext_lazy("编号"), "text"),
    ("name", gettext_lazy("证明名称"), "text"),
    ("issuing_body", gettext_lazy("开具单位"), "text"),
    ("legal_basis", gettext_lazy("设定依据"), "text"),
    ("online_checkable", gettext_lazy("可网上核验"), "bool"),
    ("is_active", gettext_lazy("有效"), "bool"),
)
SHEETS: tuple[tuple[str, tuple[Column, ...]], ...] = (
    (ITEMS, ITEM_COLUMNS),
    (MATERIALS, MATERIAL_COLUMNS),
    (SITUATIONS, SITUATION_COLUMNS),
    (PROOFS, PROOF_COLUMNS),
)
PROCESS_KEYS = (
    "kind",
    "co_review_departments",
    "meeting_allowed",
    "instant_rule_set",
    "commitment_allowed",
    "inspection_required",
)
FIRST_DATA_ROW = 3


# --- Cell values ---------------------------------------------------------------------------------


def _to_cell(kind: str, value: Any) -> Any:
    if kind == "bool":
        return YES if value else NO
    if kind in ("codes", "seqs"):
        return LIST_SEP.join(str(v) for v in value or [])
    if kind == "legal":
        return LIST_SEP.join(
            f"{e.get('law', '')}{PART_SEP}{e.get('article', '')}" for e in value or []
        )
    if kind == "fees":
        return LINE_SEP.join(
            PART_SEP.join(
                [
                    str(e.get("name", "")),
                    str(e.get("standard", "")),
                    str(e.get("basis", "")),
                    YES if e.get("waivable") else NO,
                ]
            )
            for e in value or []
        )
    if kind == "faq":
        return LINE_SEP.join(f"{e.get('q', '')}{PART_SEP}{e.get('a', '')}" for e in value or [])
    if value is None:
        return None
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    return str(value).strip()


def _bool(value: Any) -> Any:
    text = _text(value).lower()
    if text in ("", "否", "no", "false", "0", "n"):
        return False
    if text in ("是", "yes", "true", "1", "y"):
        return True
    return _text(value)  # left as text: the schema reports it where it stands


def _int(value: Any) -> Any:
    if isinstance(value, bool):
        return _text(value)
    if isinstance(value, int):
        return value
    text = _text(value)
    return int(text) if re.fullmatch(r"\d+", text) else (text or None)


def _parts(text: str, n: int) -> list[str]:
    parts = [p.strip() for p in text.split(PART_SEP)]
    return (
        (parts + [""] * n)[:n]
        if len(parts) <= n
        else [*parts[: n - 1], PART_SEP.join(parts[n - 1 :])]
    )


def _from_cell(kind: str, value: Any) -> Any:
    if kind == "text":
        return _text(value)
    if kind == "opt":
        return _text(value) or None
    if kind == "date":
        return _text(value) or None
    if kind == "int":
        return _int(value)
    if kind == "bool":
        return _bool(value)
    if kind == "codes":
        return [p.strip() for p in _text(value).split(LIST_SEP) if p.strip()]
    if kind == "seqs":
        return [_int(p) for p in _text(value).split(LIST_SEP) if p.strip()]
    if kind == "legal":
        entries = [p.strip() for p in _text(value).split(LIST_SEP) if p.strip()]
        return [dict(zip(("law", "article"), _parts(e, 2), strict=True)) for e in entries]
    if kind == "fees":
        out = []
        for line in filter(None, (x.strip() for x in _text(value).splitlines())):
            name, standard, basis, waivable = _parts(line, 4)
            out.append(
                {"name": name, "standard": standard, "basis": basis, "waivable": _bool(waivable)}
            )
        return out
    if kind == "faq":
        lines = filter(None, (x.strip() for x in _text(value).splitlines()))
        return [dict(zip(("q", "a"), _parts(line, 2), strict=True)) for line in lines]
    raise ValueError(kind)


# --- Export --------------------------------------------------------------------------------------


def catalogue_export_xlsx(path_or_stream: Any) -> None:
    """Write the published catalogue as the documented workbook."""
    document = catalogue_export_json(states=("published",))
    rows: dict[str, list[dict[str, Any]]] = {ITEMS: [], MATERIALS: [], SITUATIONS: [], PROOFS: []}
    for entry in document["items"]:
        code = entry["implementation_code"]
        process = entry.get("process") or {}
        item_row = dict(entry)
        for key in PROCESS_KEYS:
            item_row[f"process.{key}"] = process.get(key) if process else None
        rows[ITEMS].append(item_row)
        for material in entry["materials"]:
            rows[MATERIALS].append({"implementation_code": code, **material})
        for situation in entry["situations"]:
            for option in situation["options"]:
                rows[SITUATIONS].append(
                    {
                        "implementation_code": code,
                        "situation_seq": situation["seq"],
                        "question": situation["question"],
                        "option_seq": option["seq"],
                        **{k: v for k, v in option.items() if k != "seq"},
                    }
                )
    rows[PROOFS] = document["retained_proofs"]
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.worksheets[0])
    bold, grey = Font(bold=True), Font(color="808080")
    fill = PatternFill("solid", fgColor="DDEBF7")
    for title, columns in SHEETS:
        sheet = workbook.create_sheet(title)
        for c, (code, header, _kind) in enumerate(columns, start=1):
            top = sheet.cell(row=1, column=c, value=str(header))
            top.font, top.fill = bold, fill
            sheet.cell(row=2, column=c, value=code).font = grey
            sheet.column_dimensions[top.column_letter].width = 18
        for r, row in enumerate(rows[title], start=FIRST_DATA_ROW):
            for c, (code, _header, kind) in enumerate(columns, start=1):
                value = row.get(code)
                if code.startswith("process.") and value is None:
                    continue  # no process given: the whole group stays empty
                cell = sheet.cell(row=r, column=c, value=_to_cell(kind, value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
        sheet.freeze_panes = "A3"
    workbook.save(path_or_stream)


# --- Import --------------------------------------------------------------------------------------


@dataclass
class _Locator:
    """Where each part of the converted document came from in the workbook."""

    columns: dict[str, dict[str, int]] = field(default_factory=dict)
    item_rows: dict[int, int] = field(default_factory=dict)
    material_rows: dict[tuple[int, int], int] = field(default_factory=dict)
    situation_rows: dict[tuple[int, int], int] = field(default_factory=dict)
    option_rows: dict[tuple[int, int, int], int] = field(default_factory=dict)
    proof_rows: dict[int, int] = field(default_factory=dict)

    def cell(self, sheet: str, row: int, name: str | None) -> str:
        column = self.columns.get(sheet, {}).get(name or "")
        if column is None:
            return f"{sheet}!R{row}" + (f" ({name})" if name else "")
        return f"{sheet}!R{row} C{column} ({name})"

    def place(self, location: str) -> str | None:
        t: list[Any] = [
            int(x) if x.isdigit() else x for x in re.findall(r"[A-Za-z_]+|\d+", location)
        ]
        t += [None] * 8
        if t[0] == "retained_proofs" and t[1] in self.proof_rows:
            return self.cell(PROOFS, self.proof_rows[t[1]], t[2])
        if t[0] != "items" or t[1] not in self.item_rows:
            return None
        i = t[1]
        if t[2] == "materials" and (i, t[3]) in self.material_rows:
            return self.cell(MATERIALS, self.material_rows[(i, t[3])], t[4])
        if t[2] == "situations" and t[4] == "options" and (i, t[3], t[5]) in self.option_rows:
            name = "option_seq" if t[6] == "seq" else t[6]
            return self.cell(SITUATIONS, self.option_rows[(i, t[3], t[5])], name)
        if t[2] == "situations" and (i, t[3]) in self.situation_rows:
            name = "situation_seq" if t[4] == "seq" else t[4]
            return self.cell(SITUATIONS, self.situation_rows[(i, t[3])], name)
        if t[2] == "process" and isinstance(t[3], str):
            return self.cell(ITEMS, self.item_rows[i], f"process.{t[3]}")
        return self.cell(ITEMS, self.item_rows[i], t[2])

    def relocate(self, problem: ImportProblem) -> dict[str, str]:
        place = self.place(problem.location)
        out = problem.as_dict()
        if place is not None:
            out["location"], out["path"] = place, problem.location
        return out


def _read_sheet(
    workbook: Any,
    title: str,
    columns: Iterable[Column],
    locator: _Locator,
    problems: list[ImportProblem],
    progress: Progress | None,
) -> list[tuple[int, dict[str, Any]]]:
    if title not in workbook.sheetnames:
        problems.append(
            ImportProblem(title, "sheet_missing", _("缺少工作表“%(sheet)s”。") % {"sheet": title})
        )
        return []
    sheet = workbook[title]
    rows = sheet.iter_rows(values_only=True)
    next(rows, None)  # Chinese headers
    codes = [(_text(v)) for v in next(rows, None) or ()]
    found = {code: i for i, code in enumerate(codes) if code}
    locator.columns[title] = {code: i + 1 for code, i in found.items()}
    missing = [code for code, _h, _k in columns if code not in found]
    if missing:
        problems.append(
            ImportProblem(
                f"{title}!R2",
                "columns_missing",
                _("第 2 行缺少字段代码列：%(codes)s。") % {"codes": "、".join(missing)},
            )
        )
        return []
    total = max((sheet.max_row or 0) - FIRST_DATA_ROW + 1, 0)
    out = []
    for n, values in enumerate(rows, start=FIRST_DATA_ROW):
        if progress:
            progress(title, n - FIRST_DATA_ROW + 1, total)
        if all(v is None or _text(v) == "" for v in values):
            continue
        cells = list(values) + [None] * len(codes)
        out.append((n, {code: _from_cell(kind, cells[found[code]]) for code, _h, kind in columns}))
    return out


def workbook_to_document(
    stream: IO[bytes] | Any, progress: Progress | None = None
) -> tuple[dict[str, Any], _Locator, list[ImportProblem]]:
    """The workbook as an interchange document, where each part came from, and layout problems."""
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as error:
        raise ValidationFailed(
            _("无法读取 Excel 工作簿：%(error)s") % {"error": error},
            code="import_invalid",
            extra={"problems": [{"location": "", "code": "unreadable", "message": str(error)}]},
        ) from None
    locator = _Locator()
    problems: list[ImportProblem] = []
    read = {
        title: _read_sheet(workbook, title, columns, locator, problems, progress)
        for title, columns in SHEETS
    }
    workbook.close()
    items: list[dict[str, Any]] = []
    index_of: dict[str, int] = {}
    for row, values in read[ITEMS]:
        code = values["implementation_code"]
        if code in index_of:
            problems.append(
                ImportProblem(
                    locator.cell(ITEMS, row, "implementation_code"),
                    "duplicate",
                    _("实施编码 %(code)s 在事项表中重复（第 %(row)d 行已有）。")
                    % {"code": code, "row": locator.item_rows[index_of[code]]},
                )
            )
            continue
        entry = {k: v for k, v in values.items() if not k.startswith("process.")}
        process = {key: values[f"process.{key}"] for key in PROCESS_KEYS}
        entry["process"] = (
            process if any(v not in ("", [], False) for v in process.values()) else {}
        )
        entry["materials"], entry["situations"] = [], []
        index_of[code] = len(items)
        locator.item_rows[len(items)] = row
        items.append(entry)

    def owner(sheet: str, row: int, code: str) -> int | None:
        i = index_of.get(code)
        if i is None:
            problems.append(
                ImportProblem(
                    locator.cell(sheet, row, "implementation_code"),
                    "item_unknown",
                    _("事项表中没有实施编码为 %(code)s 的事项。") % {"code": code},
                )
            )
        return i

    for row, values in read[MATERIALS]:
        i = owner(MATERIALS, row, values.pop("implementation_code"))
        if i is not None:
            locator.material_rows[(i, len(items[i]["materials"]))] = row
            items[i]["materials"].append(values)
    situation_index: dict[tuple[int, Any], int] = {}
    for row, values in read[SITUATIONS]:
        i = owner(SITUATIONS, row, values["implementation_code"])
        if i is None:
            continue
        situations = items[i]["situations"]
        k = situation_index.get((i, values["situation_seq"]))
        if k is None:
            k = situation_index[(i, values["situation_seq"])] = len(situations)
            locator.situation_rows[(i, k)] = row
            situations.append(
                {"seq": values["situation_seq"], "question": values["question"], "options": []}
            )
        elif situations[k]["question"] != values["question"]:
            problems.append(
                ImportProblem(
                    locator.cell(SITUATIONS, row, "question"),
                    "inconsistent_question",
                    _("同一情形的问题应与第 %(row)d 行相同。")
                    % {"row": locator.situation_rows[(i, k)]},
                )
            )
        options = situations[k]["options"]
        locator.option_rows[(i, k, len(options))] = row
        options.append(
            {
                "seq": values["option_seq"],
                "label": values["label"],
                "adds_materials": values["adds_materials"],
                "removes_materials": values["removes_materials"],
                "adds_conditions": values["adds_conditions"],
            }
        )
    proofs: list[dict[str, Any]] = []
    for row, values in read[PROOFS]:
        locator.proof_rows[len(proofs)] = row
        proofs.append(values)
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "retained_proofs": proofs,
        "items": items,
    }
    return document, locator, problems


def catalogue_import_xlsx(
    *, user: User | None, stream: IO[bytes] | Any, progress: Progress | None = None
) -> ImportReport:
    """Import a workbook: every problem reported by sheet, row and column, or all of it."""
    document, locator, problems = workbook_to_document(stream, progress)
    return catalogue_import(
        user=user,
        document=document,
        progress=progress,
        relocate=locator.relocate,
        extra_problems=problems,
    )
