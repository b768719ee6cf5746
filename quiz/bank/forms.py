from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import Form, strip


class QuestionForm(Form):
    category = SelectField(_l("分类"), coerce=int)
    qtype = SelectField(_l("题型"), choices=[("单选", _l("单选题")), ("多选", _l("多选题")), ("判断", _l("判断题"))])
    stem = TextAreaField(_l("题干"), filters=[strip], validators=[DataRequired(_l("请填写题干。")), Length(max=2000)])
    options = TextAreaField(_l("选项（每行一个，不写字母；判断题留空）"), filters=[strip])
    answer = StringField(_l("答案（如 B、ACD；判断题填 正确 或 错误）"), filters=[strip],
                         validators=[DataRequired(_l("请填写答案。"))])
    explanation = TextAreaField(_l("解析"), filters=[strip], validators=[DataRequired(_l("请填写解析。"))])
    difficulty = SelectField(_l("难度"), coerce=int, choices=[(1, _l("1 简单")), (2, _l("2 中等")), (3, _l("3 困难"))])
    tags = StringField(_l("标签（逗号分隔）"), filters=[strip])
    basis = StringField(_l("依据（如：安全生产法 第五十四条）"), filters=[strip])


class ImportForm(Form):
    file = FileField(_l("题库文件"), validators=[FileRequired(_l("请选择要导入的文件。"))])
    # Choices: the managed list of categories (set by the view); nothing new is created here.
    category = SelectField(_l("分类（文件中没有分类的题目归入此分类；“作业种类”等列的值记为标签）"),
                           validate_choice=False)

    def validate_category(self, field) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("请从分类列表中选择；需要新分类请先在“分类”页新建。"))
