"""Login for managers and admins (session cookie, CSRF on every form) and the home page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from voicecast.extensions import db, login_manager
from voicecast.i18n import gettext as _
from voicecast.models import Contact, Role, User
from voicecast.models.user import password_matches
from voicecast.web import bp, throttle


class LoginForm(FlaskForm):
    email = EmailField(validators=[DataRequired()])
    password = PasswordField(validators=[DataRequired()])


class LogoutForm(FlaskForm):
    pass


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user a session names (`User.get_id`: "id:epoch"), while their session epoch is still
    the one it was opened in: logging out or changing the password ends it everywhere."""
    user_id, _, epoch = session_id.partition(":")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.session_epoch == int(epoch) else None


login_manager.login_view = "web.login"
login_manager.login_message = None


def safe_next(target: str | None) -> str:
    """Only redirect back to a path of ours, never to another site."""
    if target and target.startswith("/") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("web.home")


def find_login_user(email: str, password: str) -> User | None:
    """The active user with this email and password; one password hash is checked whatever the
    email (`password_matches`), so an unknown email answers as slowly as a known one."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    matches = password_matches(user.password_hash if user else None, password)
    return user if user is not None and user.active and matches else None


def too_many_logins(form: LoginForm, wait_s: int):
    """429: the login page saying when to try again (nothing was checked)."""
    minutes = -(-wait_s // 60)
    message = _("Trop de tentatives de connexion. Réessayez dans {minutes} min.")
    flash(message.format(minutes=minutes), "error")
    return render_template("login.html", form=form), 429, {"Retry-After": str(wait_s)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        wait_s = throttle.retry_after(form.email.data)
        if wait_s is not None:
            return too_many_logins(form, wait_s)
        user = find_login_user(form.email.data, form.password.data)
        if user is None:
            throttle.note_failure(form.email.data)
            flash(_("E-mail ou mot de passe incorrect."), "error")
        elif not user.role.sees_whole_account:
            flash(_("Réservé aux responsables et administrateurs."), "error")
        else:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", form=form)


@bp.post("/logout")
def logout():
    if LogoutForm().validate_on_submit():
        if current_user.is_authenticated:
            current_user.end_sessions()  # a copy of the cookie stops working too
            db.session.commit()
        logout_user()
        flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("web.login"))


@bp.get("/")
@login_required
def home():
    account_id = current_user.account_id
    sellers = db.session.scalars(
        select(User)
        .where(User.account_id == account_id, User.role == Role.SELLER)
        .order_by(User.name)
    ).all()
    contact_count = db.session.scalar(
        select(func.count()).select_from(Contact).where(Contact.account_id == account_id)
    )
    return render_template(
        "home.html", sellers=sellers, contact_count=contact_count, logout_form=LogoutForm()
    )


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    flash(_("Votre session a expiré, veuillez réessayer."), "error")
    return render_template("login.html", form=LoginForm()), 400
