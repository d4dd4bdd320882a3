"""The data pages as a steward and a visitor use them: upload, progress, preview, rollback."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.city import SmallCity, entry_fields
from tests.support.sharing import seed_exchange
from tests.web.support import browser, csrf_token, login, publish

CSV = (
    "监测站点,监测时间,PM2.5浓度\n泉城广场,2024-01-05 08:00,35.5\n省种子仓库,2024-01-05 09:00,41\n"
)


def upload(user: TestClient, token: str, entry_id: int, body: str | bytes) -> str:
    content = body.encode() if isinstance(body, str) else body
    response = user.post(
        f"/catalog/{entry_id}/data/upload",
        data={"csrf_token": token},
        files={"file": ("air.csv", content, "text/csv")},
    )
    assert response.status_code == 303, response.text
    job_url = response.headers["location"]
    for _ in range(200):
        status = user.get(job_url, headers={"HX-Request": "true"})
        assert status.status_code == 200
        if "hx-get" not in status.text:  # the box stops polling once the job is done
            return status.text
        time.sleep(0.05)
    raise AssertionError(f"the load did not finish: {status.text}")


def test_a_steward_uploads_and_a_visitor_previews_the_rows(
    client: TestClient, city: SmallCity
) -> None:
    entry_id = publish(city.services, city.principals["env_steward"], "sthjj")
    steward = browser(client)
    token = login(steward, "env_steward")

    status = upload(steward, token, entry_id, CSV)

    assert "job-succeeded" in status
    assert "2 rows read" in status or "已读取 2 行" in status
    visitor = browser(client)
    page = visitor.get(f"/catalog/{entry_id}/data", params={"监测站点": "省种子仓库"})
    assert page.status_code == 200
    assert "省种子仓库" in page.text and "泉城广场" not in page.text
    assert f"/api/v1/datasets/{entry_id}/export.csv" in page.text
    assert "/data/upload" not in page.text  # visitors do not get the upload form


def test_a_draft_entry_leads_its_steward_to_the_data_page(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: the entry page showed the data card only once published, yet stewards
    # load data before publishing: a draft had no way to its data page.
    steward_principal = city.principals["env_steward"]
    draft = city.services.catalog.create(
        steward_principal, department="sthjj", fields=entry_fields()
    ).id
    published = publish(city.services, steward_principal, "sthjj")
    steward = browser(client)
    login(steward, "env_steward")
    other = browser(client)
    login(other, "gaj_steward")

    draft_page = steward.get(f"/catalog/{draft}").text
    published_page = other.get(f"/catalog/{published}").text

    assert f'href="/catalog/{draft}/data"' in draft_page
    assert "加载并核验数据" in draft_page
    assert steward.get(f"/catalog/{draft}/data").status_code == 200
    assert "/data/upload" in steward.get(f"/catalog/{draft}/data").text
    # What others see of a published entry is unchanged.
    assert f'href="/catalog/{published}/data"' in published_page
    assert "预览、下载与接口" in published_page and "加载并核验数据" not in published_page


def test_a_steward_rolls_back_to_an_earlier_version(client: TestClient, city: SmallCity) -> None:
    entry_id = publish(city.services, city.principals["env_steward"], "sthjj")
    steward = browser(client)
    token = login(steward, "env_steward")
    upload(steward, token, entry_id, CSV)
    upload(steward, token, entry_id, CSV.replace("泉城广场", "奥体中心"))
    page = steward.get(f"/catalog/{entry_id}/data")
    assert "奥体中心" in page.text

    response = steward.post(
        f"/catalog/{entry_id}/data/versions/1/activate", data={"csrf_token": csrf_token(page.text)}
    )

    assert response.status_code == 303
    assert "泉城广场" in steward.get(f"/catalog/{entry_id}/data").text


def test_a_failed_load_tells_the_steward_why_in_chinese(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: the job box showed the loader's English text ("Row 3 has 2 cells but …",
    # "… give the encoding explicitly", which no form allows) on the Chinese page.
    entry_id = publish(city.services, city.principals["env_steward"], "sthjj")
    steward = browser(client)
    token = login(steward, "env_steward")

    ragged = upload(steward, token, entry_id, CSV + "奥体中心,2024-01-05 10:00\n")
    unreadable = upload(steward, token, entry_id, bytes(range(256)) * 10)
    bad_value = upload(steward, token, entry_id, CSV.replace("35.5", "未检出"))

    assert "job-failed" in ragged
    assert "每一行的单元格数都必须与表头相同" in ragged
    assert "Row 4 has 2 cells" in ragged  # the detail, beneath the translated reason
    assert "job-failed" in unreadable
    assert "UTF-8 或 GB18030" in unreadable and "give the encoding" not in unreadable
    assert "job-failed" in bad_value
    assert "数据行中发现 1 处问题" in bad_value and "rows do not match" not in bad_value
    assert steward.get(f"/catalog/{entry_id}/data").status_code == 200


def job_url(status_html: str) -> str:
    found = re.search(r'href="(/catalog/\d+/data)"', status_html)
    assert found
    job = re.search(r"/jobs/(\d+)/errors\.csv", status_html)
    assert job, "the job has no error report"
    return f"{found[1]}/jobs/{job[1]}"


def test_a_failed_load_lists_its_first_problems_on_the_job_page(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: the failed job's page said problems were found but listed none, its bar
    # stayed full and blue, and its breadcrumb started at the entry.
    entry_id = publish(city.services, city.principals["env_steward"], "sthjj")
    steward = browser(client)
    token = login(steward, "env_steward")
    rows = "".join(f"站{i},2024-01-05 08:00,{i}\n" for i in range(30))
    bad = CSV.replace("35.5", "未检出") + "奥体中心,昨天,12\n" + rows.replace(",7\n", ",七\n")

    url = job_url(upload(steward, token, entry_id, bad))
    page = steward.get(url).text
    steward.cookies.set("qc_lang", "en")
    english = steward.get(url).text

    table = page[page.index('class="data-table job-problems"') : page.index("</table>")]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table)
    # Rows as Excel shows the file: the header is row 1.
    assert [tuple(cells[i : i + 4]) for i in range(0, len(cells), 4)] == [
        ("2", "PM2.5浓度", "未检出", "不是数字"),
        ("4", "监测时间", "昨天", "不是日期时间"),
        ("12", "PM2.5浓度", "七", "不是数字"),
    ]
    assert "发现的问题" in table
    assert "job-failed" in page and "css/data.css" in page
    assert re.search(r'class="breadcrumb".*?href="/">首页</a> › <a href="/catalog">数据目录', page)
    assert f"/api/v1/datasets/{entry_id}/jobs/" in page
    assert "<td>not a number</td>" in english and "不是数字" not in english


def test_the_job_page_lists_twenty_problems_and_points_to_the_report_for_the_rest(
    client: TestClient, city: SmallCity
) -> None:
    entry_id = publish(city.services, city.principals["env_steward"], "sthjj")
    steward = browser(client)
    token = login(steward, "env_steward")
    bad = CSV + "".join(f"站{i},2024-01-05 08:00,很多\n" for i in range(25))

    page = steward.get(job_url(upload(steward, token, entry_id, bad))).text

    assert page.count('<td class="num">') == 20
    assert "以下为 25 处问题中的前 20 处，全部问题见错误报告。" in page


def test_the_data_page_lists_the_recent_loads_to_those_who_may_load(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: after a failed first load the data page said only "尚无版本。".
    entry_id = publish(city.services, city.principals["env_steward"], "sthjj")
    steward = browser(client)
    token = login(steward, "env_steward")
    url = job_url(upload(steward, token, entry_id, CSV.replace("35.5", "未检出")))
    upload(steward, token, entry_id, CSV + "奥体中心,2024-01-05 10:00\n")

    page = steward.get(f"/catalog/{entry_id}/data").text
    public = browser(client).get(f"/catalog/{entry_id}/data").text

    loads = page[page.index("最近加载记录") : page.index("数据版本")]
    assert loads.count('class="load-job load-job-failed"') == 2
    # Newest first: the ragged file, then the one with a bad value.
    assert loads.index("每一行的单元格数都必须与表头相同") < loads.index("数据行中发现 1 处问题")
    assert "air.csv" in loads and "已读取" in loads and "<time>" in loads
    assert f'href="{url}"' in loads
    assert f'href="/api/v1/datasets/{entry_id}/jobs/{url.rsplit("/", 1)[1]}/errors.csv"' in loads
    assert "最近加载记录" not in public and "/data/jobs/" not in public


def notice(html: str) -> str:
    found = re.search(r'class="notice">(.*?)</p>', html, re.S)
    assert found, "the page has no notice"
    return found[1]


def test_a_department_without_a_grant_is_told_so_and_where_to_apply(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: the preview's refusal was the read policy's English text on the Chinese
    # page, with no way to the request form (and told citizens to use the sharing exchange).
    ex = seed_exchange(city, tmp_path, rows=5)
    url = f"/catalog/{ex.entry_id}/data"
    department = browser(client)
    login(department, "env_user")
    citizen = browser(client)
    login(citizen, "citizen")
    visitor = browser(client)

    other = department.get(url).text
    public = citizen.get(url).text
    anonymous = visitor.get(url).text
    filtered = department.get(url, params={"人数__gt": "很多"}).text
    owner = browser(client)
    login(owner, "gaj_steward")
    bad_filter = owner.get(url, params={"人数__gt": "很多"}).text

    assert notice(other) == "此数据未向您共享。"
    assert f'href="/sharing/new?dataset={ex.entry_id}"' in other
    assert notice(public) == "此数据未向您共享。"
    assert "/sharing/new" not in public
    assert notice(anonymous) == "请登录后查看此数据。"
    assert "not shared" not in other + public + filtered
    assert "无法按这些筛选条件显示预览" in notice(bad_filter) and "人数" in notice(bad_filter)
