"""SNAIL as a meta-RL agent on Bernoulli multi-armed bandits (Mishra et al. 2018, Sec. 4.2.1).

Each episode draws K arm means p ~ U[0, 1]; the agent pulls N times and must learn, from
its own pulls, which arm pays (`jaxgen.models.snail.bandit`). It is trained by advantage
actor-critic over the task distribution and scored, on the same test episodes and reward
draws, beside Thompson sampling, UCB1, the Gittins index, greedy and random play.

Run:   jaxgen train bandit_snail --workdir /tmp/bandit_snail        (5 arms, 100 pulls)
       jaxgen train bandit_snail:arms=10,pulls=100 ...               (other sizes)
Tiny:  jaxgen train bandit_snail:tiny --workdir /tmp/bandit_snail_tiny   (5 arms, 20 pulls)
(from a checkout: PYTHONPATH=. python -m jaxgen.cli train ... --set progress=False)

The paper (Table 3, N = 10 pulls, K = 5 arms; after Duan et al. 2016): random 5.0, Gittins
6.6, Thompson sampling 5.7, UCB1 6.7 (a tuned variant), RL^2 6.7, SNAIL 6.6.

Default run (measured 2026-12-03, `PYTHONPATH=. python -m jaxgen.cli train bandit_snail
--workdir /tmp/s11/bdef10 --set progress=False`, one core of a 2-core Intel Xeon, 3,000
steps of 64 episodes at 22.8 steps/s, 2.9 min): mean total reward over the 2,000 test
episodes, every policy on the same reward draws:

  SNAIL (sampled actions)      6.50   (most probable actions: 6.52; 177,894 params)
  Gittins index (discount 0.9) 6.69
  greedy (posterior mean)      6.60
  Thompson sampling            5.87   SNAIL / Thompson = 1.108
  UCB1                         5.70
  random                       5.04
  best arm (N max p, an oracle) 8.38

Validation reward at steps 500 / 1,000 / ... / 3,000: 5.97, 6.36, 6.29, 6.36, 6.34, 6.38
(Thompson 5.89, Gittins 6.66 on the validation episodes); the best is the last step. The
agent learnt to explore and then exploit within ten pulls well past Thompson sampling (which
keeps exploring, a poor trade over so few pulls) and close to the Gittins index. At 100
pulls (`:pulls=100`, the baselines: Gittins 78.2, greedy 75.6, Thompson 74.6, UCB1 65.6,
random 49.3, as Duan et al.'s 78.3 / - / 74.7 / 74.1 / 50.0) the plain actor-critic with
batches of 64 episodes did not learn in short probes: at learning rates 1e-3 and 3e-4 its
policy collapsed to near-deterministic play at random play's reward within 300 steps; at
1e-4 with an entropy bonus of 0.05 it stayed uniform through 150 steps. The paper trains
with TRPO on far larger batches. `--set model.epochs=4` turns on
PPO's clipped, trust-region updates; a long run at 100 pulls is still to be made.
"""
from jaxgen.models.snail.configs import bandit_config


def get_config(variant: str = ''):
  return bandit_config('bandit_snail', variant)
