"""``glassnet demo``: the tutorial's network, trained and explained, in a few seconds.

Trains the 2-2-1 sigmoid network of the seed tutorial on Alice, Bob, Charlie and Diana with
per-sample gradient descent, shows the loss every 100 epochs, asks it about Emily and Frank,
and prints the chain rule for ∂L/∂w1 as ``gn.explain`` reads it from the autograd graph.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from glassnet.cli._arguments import positive_float, positive_int, seed

TABLE_EVERY = 100  # epochs between printed losses


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="train the tutorial's network and explain one of its gradients",
        description=(
            "Train the tutorial's 2-2-1 network (weight, height -> female) on Alice, Bob, "
            "Charlie and Diana; print the loss every 100 epochs, the predictions for Emily and "
            "Frank, and the chain rule for dL/dw1 on one sample, read from the graph."
        ),
    )
    parser.add_argument("--epochs", type=positive_int, default=1000, help="default: 1000")
    parser.add_argument("--learn-rate", type=positive_float, default=0.1, help="default: 0.1")
    parser.add_argument("--seed", type=seed, default=0,
                        help="initial weights' seed, 0 to 4294967295; default: 0")
    parser.add_argument("--plot", metavar="FILE", help="also write the loss curve to FILE (PNG)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    import glassnet as gn
    from glassnet.tutorial import (
        ALICE,
        PREDICTION_PEOPLE,
        TRAINING_PEOPLE,
        TrainableNetwork,
        gender_data,
    )

    started = time.perf_counter()
    X, y, _ = gender_data()
    network = TrainableNetwork(seed=args.seed)
    print("glassnet demo: the tutorial's network, 2 inputs -> 2 hidden sigmoid neurons -> 1 output")
    print("\nTraining data (weight = pounds - 135, height = inches - 66, female = 1):")
    for person in TRAINING_PEOPLE:
        print(f"  {person.name:<8} weight {person.weight:>4g}  height {person.height:>3g}"
              f"  female {person.female}")

    print("\nThe first gradient step, explained: the loss on Alice, L = (y_true - y_pred)^2")
    graph = network.autograd_graph(ALICE.features, ALICE.female)
    explanation = gn.explain(graph.loss, graph.parameters["w1"])
    print(explanation.format(steps=True))
    hand = network.gradients(ALICE.features, ALICE.female)["w1"]
    graph.loss.backward()
    autograd = float(graph.parameters["w1"].grad)
    print(f"  by hand (network.gradients): {hand:.12g}   by autograd (backward): {autograd:.12g}")
    step = args.learn_rate * explanation.value
    print(f"  so the update w1 <- w1 - {args.learn_rate:g} * dL/dw1 moves w1 from "
          f"{network.w1:.4f} to {network.w1 - step:.4f}")

    print(f"\nTraining: {args.epochs} epochs, learn rate {args.learn_rate:g}, seed {args.seed}")
    epochs, losses = [], []
    with tqdm(total=args.epochs, unit="epoch", disable=True if args.no_progress else None,
              leave=False) as bar:

        def record(epoch: int, loss: float) -> None:
            epochs.append(epoch)
            losses.append(loss)
            bar.update(epoch + 1 - bar.n)
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            if epoch % TABLE_EVERY == 0:
                bar.write(f"  Epoch {epoch:>{len(str(args.epochs))}} loss: {loss:.3f}")

        network.train(X, y, learn_rate=args.learn_rate, epochs=args.epochs, callback=record)
        bar.update(args.epochs - bar.n)
    print(f"  final loss (mean squared error over the 4 people): {losses[-1]:.4f}")

    print("\nPredictions for people the network has not seen (1 = female):")
    for person in PREDICTION_PEOPLE:
        score = network.feedforward(person.features)
        answer = "F" if score > 0.5 else "M"
        where = f"({person.weight:g}, {person.height:g})"
        print(f"  {person.name:<6} {where:<9} {score:.3f}  -> {answer}")

    if args.plot:
        from glassnet.plot import history

        title = f"The tutorial network's training loss (learn rate {args.learn_rate:g})"
        history({"epoch": epochs, "loss": losses}, args.plot, title=title, log_scale=True)
        print(f"\nLoss curve written to {args.plot}")
    print(f"\nDone in {time.perf_counter() - started:.1f} s.")
    return 0
