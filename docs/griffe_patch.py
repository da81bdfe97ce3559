"""Griffe extension (mkdocs.yml, the API page): a function that fastcore's `@patch` adds to a class of its module
(`def runs(self: Study, ...)`, as nbs/04a_study.ipynb writes `Study`) is shown as that class's method, not as a
module-level function."""
import griffe

class PatchedMethods(griffe.Extension):
    def on_module_members(self, *, mod, **kwargs):
        for name, fn in list(mod.members.items()):
            if fn.is_alias or not fn.is_function: continue
            if not any(str(d.value).split('(')[0].split('.')[-1] == 'patch' for d in fn.decorators): continue
            first = fn.parameters[0] if len(fn.parameters) else None
            cls = mod.members.get(str(first.annotation)) if first is not None and first.annotation else None
            if cls is None or cls.is_alias or not cls.is_class: continue
            mod.del_member(name)
            cls.set_member(name, fn)
            if any('cls_method=True' in str(d.value) for d in fn.decorators): fn.labels.add('classmethod')
