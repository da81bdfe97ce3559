"""Test plugins (tests/test_schedule.py): resnet8 students that fail on purpose, in the worker process that trains them.

- `killer8`: resnet8 that writes its process id to the file named by $KILL_PID_FILE (when set) at its first training
  forward, so that a test can SIGKILL the worker mid-run from outside;
- `oom8`: resnet8 whose training forward raises `torch.OutOfMemoryError` (what CUDA raises) while $RTK_TEST_OOM is 1.

Unset, both are resnet8. The names are theirs, so the runs that use them are runs of their own.
"""
import os
import torch
from rtk_nb.models import MODELS, register_model

_resnet8 = MODELS['resnet8']

def _pid_file(module, args):
    if module.training and (f := os.environ.get('KILL_PID_FILE')) and not getattr(module, '_pid_written', False):
        with open(f, 'a') as fh: fh.write(f"{os.getpid()}\n")
        module._pid_written = True

def _oom(module, args):
    if module.training and os.environ.get('RTK_TEST_OOM') == '1':
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (injected by tests/plugins/faults.py)")

@register_model('killer8', _resnet8.stages)
def killer8(num_classes: int = 10, **kw):
    m = _resnet8.fn(num_classes=num_classes, **kw); m.register_forward_pre_hook(_pid_file); return m

@register_model('oom8', _resnet8.stages)
def oom8(num_classes: int = 10, **kw):
    m = _resnet8.fn(num_classes=num_classes, **kw); m.register_forward_pre_hook(_oom); return m
