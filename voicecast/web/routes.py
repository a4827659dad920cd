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
from voicecast.web import bp


class LoginForm(FlaskForm):
    email = EmailField(validators=[DataRequired()])
    password = PasswordField(validators=[DataRequired()])


class LogoutForm(FlaskForm):
    pass


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


login_manager.login_view = "web.login"
login_manager.login_message = None


def safe_next(target: str | None) -> str:
    """Only redirect back to a path of ours, never to another site."""
    if target and target.startswith("/") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("web.home")


def find_login_user(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = find_login_user(form.email.data, form.password.data)
        if user is None:
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
