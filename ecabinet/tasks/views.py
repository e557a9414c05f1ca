from flask import Blueprint

bp = Blueprint("tasks_pages", __name__)
