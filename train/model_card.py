"""The default model's card: what it is, what it was trained on, and how it scored on held-out audio (Markdown)."""

from __future__ import annotations


def optimizer_text(r: dict) -> str:
    """How a recipe's optimiser reads in the card: AdamW's decay is on the weight matrices only (train/loop.py)."""
    if r.get("optimizer", "adam") == "adamw":
        return f"AdamW (weight decay {r['weight_decay']:g} on the weight matrices)"
    return f"Adam (L2 weight decay {r['weight_decay']:g})"


def model_card(card: dict, table: str) -> str:
    held = {k: float("nan") if v is None else v for k, v in card["held_out_crops"].items()}
    sed = card["streaming_events"]["onset_offset_1s_collar"]
    onset = card["streaming_events"]["onset_only_1s_collar"]
    r = card["recipe"]
    per_label = "\n".join(
        f"| {k} | {v['f1']:.3f} | {v['precision']:.3f} | {v['recall']:.3f} | {v['references']} |"
        for k, v in sed["per_label"].items()
    )
    recordings = card["sources"].get("recordings", {})
    packages = "\n".join(
        f"| {name} | {p['version']} | {', '.join(p['licenses']) or 'see its copyright file'} | "
        f"{p['deb_bytes'] / 1e6:.1f} MB |"
        for name, p in sorted(recordings.items())
    )
    isolated = "\n".join(
        f"| {k} | {v['recordings']} | {v['top1']:.3f} |" for k, v in card.get("held_out_recordings", {}).items()
    )
    speech = card.get("continuous_speech") or {"speakers": {}, "mean": None}
    speakers = "\n".join(
        f"| {k} | {v['package']} | {v['seconds']} s | {v['coverage']:.3f} |" for k, v in speech["speakers"].items()
    )
    stream = card["streaming_events"]
    timing_text = {
        "frames": "the frame head (onset at the first time step scoring at least half the window's highest, "
        "offset after the last)",
        "trained frames": "the frame head trained with the encoder (onset at the first time step scoring at "
        "least half the window's highest, offset after the last)",
        "windows": "window edges (the frame head placed them worse on these scenes)",
    }.get(stream.get("timing", "windows"))
    timings = "\n".join(
        f"| {k} | {v['f1']:.3f} | {v['onset_only_f1']:.3f} | {v['delay_p50_s']} s | {v['delay_p95_s']} s | "
        f"{v['delay_found']:.2f} |"
        for k, v in stream.get("by_timing", {}).items()
    )
    frame = card.get("frame_head", {})
    j = card.get("joint_stage")
    joint_text = (
        ""
        if not j
        else f"""
Then the joint stage: the encoder and a frame head trained together from the scenes' event times
(frame loss weight {j["frame_loss"]}), from that model with a frame head fitted on its frozen
encoder: {j["epochs"]} epochs at lr {j["lr"]}, warm-up {j["warmup_steps"]} steps, the last
{j["average_last"]} averaged ({j["seconds"]} s)."""
    )
    frame_map = frame.get("step_mAP", "n/a")
    frame_input = {
        "concat": "each time step's column of frequency tokens side by side with the window's pooled embedding",
        "mean": "each time step's column averaged over frequency",
    }[frame.get("input", "mean")]
    return f"""# rtast default model

A small Audio Spectrogram Transformer trained by this project, from scratch, on scenes mixed from
real recordings that Debian packages ship (people reading letters, numbers and phrases in about 20
languages, telephone prompts, game voice actors, footsteps, birds, cattle, water, fire, explosions),
sampled real instruments (General MIDI soundfonts played by fluidsynth), the freedesktop sound
theme, and synthesis only for classes no package records (sirens, beeps, alarms, ringtones,
whistles, noise). It knows {len(card["classes"])} AudioSet classes and nothing else:

{", ".join(card["classes"])}

It is a starting point that works out of the box, not a general sound recogniser: the other 500
AudioSet classes are outside what it has heard. For the full 527-class AudioSet model import the
official checkpoint (no download here; bring the file):

    rtast import-checkpoint audioset_10_10_0.4593.pth -o audioset.pt
    rtast listen --model audioset.pt

## Model
{r["embed_dim"]}-dim, {r["depth"]} blocks, {r["num_heads"]} heads, 16x16 patches with stride
{r["fstride"]}x{r["tstride"]}, {r["window_seconds"]} s windows ({r["target_length"]} frames), sigmoid outputs.
Normalisation mean {r["mean"]:.4f}, std {r["std"]:.4f} (computed from the training scenes).

## Data
{card["corpus"]}
Evaluation scenes use only held-out sources: speakers, languages, voice packs and packages the
training scenes never used (train/data/real_sources.tsv names the split of every group), another
soundfont (TimGM6mb: samples no training soundfont shares) with other programs and melodies, other
sound-theme files, other synthesis parameters (card.json, "sources", lists every source). Training
waveforms are played in synthetic rooms (RT60 0.15-1 s), through a telephone band or a tilted
microphone, at random gains, sometimes clipped.

Real recordings, fetched by the recipe with `apt-get download` (never installed):

| package | version | licences (its copyright file) | .deb |
|---|---|---|---|
{packages}

## Held-out recordings, one at a time
Each held-out real recording alone in a window (a word said in a quiet room: a recording shorter
than the window is followed by silence, the model's `pad`): how often its class is ranked first.
The asterisk prompts are 8 kHz telephone recordings.

| class (package) | recordings | top-1 |
|---|---|---|
{isolated}

## Continuous held-out speech
Each held-out speaker's first utterances (up to 8) one after another, 0.25 s apart, streamed through the
live path: the share of the speech inside Speech events (mean over speakers: {speech["mean"]}).

| speaker | package | speech | inside Speech events |
|---|---|---|---|
{speakers}

## Recipe
`python -m train recipe default` — {r["epochs"]} epochs, {optimizer_text(r)} lr {r["lr"]}, batch {r["batch_size"]},
warm-up {r["warmup_steps"]} steps, mixup {r["mixup"]}, SpecAugment {r["freq_mask"]}/{r["time_mask"]},
{r["crops_per_clip"]} random crops per scene per epoch, {r["precision"]} autocast; trained in
{card["training_seconds"]} s on the machine named in docs/benchmarks.md.{joint_text}

## Held-out scores ({held["clips"]} crops of 3 s from held-out scenes)
mAP {held["mAP"]:.4f}, mean AUC {held["mAUC"]:.4f}, d' {held["d_prime"]:.3f}, accuracy (top-1) {held["accuracy"]:.4f}

```
{table}
```

## Streaming events on held-out scenes (hop {card["streaming_events"]["hop_seconds"]} s)
Event-based F1 with 1-s collars (onset, and offset within max(1 s, 50 % of the duration)):
F1 {sed["f1"]:.3f} (precision {sed["precision"]:.3f}, recall {sed["recall"]:.3f}); onsets only:
F1 {onset["f1"]:.3f}. Event times are placed by {timing_text}.

Both ways of placing times on the same scenes, and the detection delay (stream time from a true
onset to the report of an onset of its class within 1 s of it):

| times placed by | F1 | onsets-only F1 | delay p50 | delay p95 | onsets found |
|---|---|---|---|---|---|
{timings}

The frame head (a LayerNorm and a linear layer on the frozen encoder's patch tokens: {frame_input},
fitted on {frame.get("train_steps", 0)} time steps of training scenes) scores the held-out time steps
at mAP {frame_map}.

| class | F1 | precision | recall | events |
|---|---|---|---|---|
{per_label}

## Known limits
- Scenes are mixed, not recorded: rooms and microphones are simulated.
- The effect classes (footsteps, birds, cattle, water, fire, explosions) rest on a few dozen game
  sound effects each, some of them edited; sirens, beeps, alarms and whistles are synthesised.
- Classes left out for lack of real recordings (fewer than 20 from 2 sources): laughter, dogs, cats,
  doors, sheep, chickens, gunshots and many more (see the table's comments).
- 3-s windows: events shorter than ~0.3 s or closer together than the hop are merged or missed.
"""
