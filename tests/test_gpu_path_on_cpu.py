"""The options of the CUDA path — bf16 autocast, channels_last, torch.compile of the forward or of the whole step — exercised with device='cpu',
so that the code the GPU runs is the code the tests run (no GPU is needed or used here)."""
import math
import pytest, torch
from rtk_nb.train import TrainConfig, distill
from rtk_nb.models import create_model
from rtk_nb.losses import create_distiller
from conftest import digits_run

@pytest.fixture(scope='module')
def teacher(tmp_path_factory, digits_teacher):
    "A folder for this module's runs, their settings, and the session's digits teacher (conftest.py)."
    d = tmp_path_factory.mktemp('gpu_path')
    return d, digits_run(d, track=False, milestones=[2]), digits_teacher

def test_bf16_channels_last_on_cpu(teacher):
    d, base, tck = teacher
    cfg = TrainConfig(**base, method='rtk', teacher_ckpt=tck, amp='bf16', channels_last='on',
                      out_dir=str(d / 'bf16'))
    r = distill(cfg)
    assert len(r['history']) == 2 and all(math.isfinite(h['train_loss']) for h in r['history'])
    assert r['outcome'] == 'trained' and r['test_acc'] == r['history'][-1]['test_acc']
    again = distill(cfg)                        # the bf16 / channels_last run's checkpoint restores to the same result
    assert again['outcome'] == 'restored' and again['test_acc'] == r['test_acc'], again

def test_compiled_distiller_matches_eager():
    torch.manual_seed(0)
    s, t = create_model('resnet8'), create_model('resnet14').eval()
    d = create_distiller('rtk+kd', s, t).eval()          # eval: BatchNorm uses running stats, same in both calls
    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    _, eager = d(x, y)
    _, compiled = torch.compile(d)(x, y)
    assert eager.keys() == compiled.keys()
    for k in eager: torch.testing.assert_close(compiled[k], eager[k], rtol=1e-4, atol=1e-5)

def test_compile_option_trains(teacher):
    d, base, tck = teacher
    r = distill(TrainConfig(**{**base, 'epochs': 1, 'milestones': [1]}, method='at', teacher_ckpt=tck,
                            compile='forward', out_dir=str(d / 'compiled')))
    assert len(r['history']) == 1 and math.isfinite(r['history'][0]['train_loss'])

def test_captured_step_takes_the_eager_steps():
    "compile='step' compiles the whole step (forward, losses, backward, SGD with a tensor lr); on the CPU it must take the same steps."
    from rtk_nb.train import build_training, make_step
    torch.manual_seed(0)
    teacher = create_model('resnet8').eval().requires_grad_(False)
    cfg = TrainConfig(dataset='digits', method='rtk+kd', student='resnet8', teacher='resnet8', teacher_ckpt='-', device='cpu',
                      lr=0.05, milestones=[1])
    g = torch.Generator().manual_seed(1)
    batches = [(torch.randn(16, 3, 32, 32, generator=g), torch.randint(0, 10, (16,), generator=g)) for _ in range(3)]
    models, losses = [], []
    for c in (cfg, cfg.replace(compile='step')):
        model, distiller, opt = build_training(c, torch.device('cpu'), 10, teacher)
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, [1], 0.1)
        step = make_step(c, distiller, opt)
        distiller.train()
        out = []
        for x, y in batches:
            out.append(step(x, y)[1]); sched.step()           # the lr changes after the first step: no recompile needed
        distiller.remove_hooks(); models.append(model); losses.append(out)
    assert isinstance(opt.param_groups[0]['lr'], torch.Tensor) and float(opt.param_groups[0]['lr']) == pytest.approx(0.005)
    for a, b in zip(*losses):
        for k in a: torch.testing.assert_close(b[k], a[k], rtol=1e-3, atol=1e-4)
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        torch.testing.assert_close(q, p, rtol=1e-3, atol=1e-3)
