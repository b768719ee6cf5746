"""Command-line tasks: ``flask --app app setup | user create | bank load | bank check | sweep |
backup | restore | demo big``.

A terminal has no Accept-Language: what these commands print is in Chinese and English both
("中文 / English"), as the usage errors already were."""
from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from question_bank.loader import load_bank, read_bank
from question_bank.review import report_lines

from .contests import attempts
from .bank import files as bank_io
from . import backup as backups, clock
from .demo import big as demo_big
from .extensions import db
from .models import Enterprise
from .demo.setup import create_user, first_start

user_cli = AppGroup("user", help="Organiser and enterprise-admin accounts.")
bank_cli = AppGroup("bank", help="The built-in question bank.")
demo_cli = AppGroup("demo", help="Demonstration data.")
demo_cli.add_command(demo_big.big_command)


@user_cli.command("create")
@click.argument("username")
@click.option("--password", help="Password; generated and printed when omitted.")
@click.option("--role", type=click.Choice(["organiser", "enterprise_admin"]), default="organiser")
@click.option("--enterprise", "enterprise_code", help="Unit code (编码) of an enterprise admin.")
def user_create(username: str, password: str | None, role: str, enterprise_code: str | None) -> None:
    """Create an account, or set the password of an existing one."""
    generated = password is None
    password = password or secrets.token_urlsafe(9)
    if len(password) < 8:
        raise click.UsageError("密码至少 8 位 / password must have at least 8 characters")
    enterprise = None
    if role == "enterprise_admin":
        enterprise = db.session.scalar(
            select(Enterprise).where(Enterprise.code == (enterprise_code or "").upper()))
        if enterprise is None:
            raise click.UsageError("企业管理员需要 --enterprise 单位编码 / needs --enterprise CODE")
    user = create_user(username, password, role=role, now=clock.now())
    user.enterprise_id = enterprise.id if enterprise else None
    db.session.commit()
    click.echo(f"账号 {username} 已保存。" + (f" 密码：{password}" if generated else "")
               + f" / Account {username} saved." + (f" Password: {password}" if generated else ""))


@bank_cli.command("load")
def bank_load() -> None:
    """Load or update the built-in bank (idempotent)."""
    files, problems = read_bank()
    if problems:
        click.echo("\n".join(problems), err=True)
        sys.exit(1)
    counts = load_bank(db.session, files, retire_missing=True)
    db.session.commit()
    click.echo(
        f"新增 {counts['added']}，更新 {counts['updated']}，未变 {counts['unchanged']}，"
        f"停用 {counts['retired']}（已从内置题库删除）。"
        f" / Added {counts['added']}, updated {counts['updated']}, unchanged {counts['unchanged']}, "
        f"retired {counts['retired']} (removed from the built-in bank)."
    )


@bank_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def bank_check(paths: tuple[Path, ...]) -> None:
    """Validate the built-in bank (or the given files); exit 1 on any problem."""
    files, problems = read_bank(list(paths) or None)
    total = sum(len(f.questions) for f in files)
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(f"{len(files)} 个文件，{total} 道题，{len(problems)} 个问题。"
               f" / {len(files)} files, {total} questions, {len(problems)} problems.")
    for line in report_lines([q for f in files for q in f.questions], clock.now().date()):
        click.echo(line)
    if problems:
        sys.exit(1)


@bank_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--category", help="分类 for rows without a category: an existing category.")
@click.option("--map", "maps", multiple=True, metavar="值=分类",
              help="Store the file's category value 值 under the existing category 分类 "
                   f"(or keep it as a tag: 值={bank_io.AS_TAG}). Repeatable.")
@click.option("--dry-run", is_flag=True, help="Preview only: change nothing.")
@click.option("--strict", is_flag=True, help="Exit 1 if any row is refused.")
def bank_import(path: Path, category: str | None, maps: tuple[str, ...], dry_run: bool, strict: bool) -> None:
    """Import questions from .xlsx, .csv, .docx, .txt, Aiken or GIFT.

    Imports what it can and says how many rows it refused (exit 0; --strict: exit 1 on any
    refusal). Categories are never created here: a value that is not an existing category
    needs --map (the closest category is suggested); exit 1 when the file cannot be read."""
    mapping = {}
    for item in maps:
        value, sep, target = item.partition("=")
        if not sep or not value.strip() or not target.strip():
            raise click.UsageError(f"--map 应写成 值=分类：{item} / --map must be VALUE=CATEGORY: {item}")
        mapping[value.strip()] = target.strip()
    problems = bank_io.check_targets(category, mapping)
    if problems:
        raise click.UsageError("\n".join(problems))
    limits = bank_io.limits(current_app.config["IMPORT_MAX_BYTES"])
    data = path.read_bytes()[: limits.max_bytes + 1]
    result = bank_io.preview(path.name, data, category, limits, mapping)
    for error in result.file_errors:
        click.echo(error, err=True)
    for row in result.rows:
        for message in row.messages:
            click.echo(f"{row.where}：{message}", err=row.status == "rejected")
        if row.status == "update":
            click.echo(f"{row.where}：更新 {row.target.uid}（{row.changed_fields}） / updates {row.target.uid}")
    for value in result.unresolved:
        hint = f" --map {value.value}={value.suggestion}" if value.suggestion else ""
        click.echo(f"未对应的分类“{value.value}”（{value.rows} 行）{('：可用' + hint) if hint else ''}"
                   f" / unknown category \"{value.value}\" ({value.rows} rows){(': try' + hint) if hint else ''}",
                   err=True)
    imported = 0
    if not dry_run:
        imported = bank_io.commit(result, f"导入:{path.name}")
        db.session.commit()
    click.echo(
        f"读取 {len(result.rows)}，{'可导入' if dry_run else '导入'} "
        f"{result.count('ok') if dry_run else imported}，跳过 {result.count('duplicate')}，"
        f"拒绝 {result.count('rejected')}，{'可更新' if dry_run else '更新'} {len(result.updates)}，"
        f"未变 {result.count('same')}。"
        f" / Read {len(result.rows)}, {'importable' if dry_run else 'imported'} "
        f"{result.count('ok') if dry_run else imported}, skipped {result.count('duplicate')}, "
        f"refused {result.count('rejected')}, {'updatable' if dry_run else 'updated'} {len(result.updates)}, "
        f"unchanged {result.count('same')}."
    )
    # A file that could not be read at all is an error; refused rows only with --strict.
    if (result.file_errors and not result.rows) or (
            strict and (result.file_errors or result.count("rejected"))):
        sys.exit(1)


@click.command("setup")
@click.option("--production", is_flag=True,
              help="The bank and the organiser only: no demo campaign, no demo enterprises.")
@click.option("--username", default="admin", show_default=True,
              help="The organiser account created when there is none.")
def setup_command(production: bool, username: str) -> None:
    """First start: load the bank and demo data into an empty database, create the organiser."""
    for line in first_start(clock.now(), production=production, username=username):
        click.echo(line)


@click.command("sweep")
def sweep_command() -> None:
    """Submit every attempt whose time ran out (run periodically, e.g. from cron)."""
    closed = attempts.close_expired(None, clock.now(), current_app.config["ANSWER_GRACE_SECONDS"])
    db.session.commit()
    click.echo(f"已自动交卷 {closed} 份。 / Submitted {closed} attempts whose time ran out.")


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
def backup_command(path: Path) -> None:
    """Back up the database, the secret key and the instance files to PATH (.tar.gz or a
    directory), while the app serves."""
    try:
        manifest = backups.backup(db.engine, Path(current_app.instance_path), path)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(n for name, n in manifest["tables"].items() if name != "alembic_version")
    click.echo(f"已备份到 {path}：{manifest['database']} 数据库（版本 {manifest['revision']}，{rows} 行），"
               f"{len(manifest['files'])} 个文件。")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(path: Path, force: bool) -> None:
    """Restore a backup made by `flask backup`: database, secret key, instance files.
    Stop the app first; refuses a database holding data unless --force."""
    try:
        manifest = backups.restore(db.engine, Path(current_app.instance_path), path, force=force)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"已恢复 {manifest['created_at']} 的备份（版本 {manifest['revision']}）。"
               "如代码版本更新，请再运行 flask --app app db upgrade，然后重启服务。")


def init_app(app: Flask) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(bank_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(setup_command)
    app.cli.add_command(sweep_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
