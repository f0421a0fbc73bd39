"""General words find specific labels: the bundled imagenet model's WordNet hypernyms (words.json), in the library
search of the CLI and the JSON API."""

from __future__ import annotations

import json

from conftest import run_cli
from test_content_model import photo, still_video

from tubelet.checkpoints.bundled import bundled_model_path
from tubelet.library.words import labels_named, vocabulary, word_index

FOLDER = str(bundled_model_path("imagenet"))
LABELS = set(json.loads((bundled_model_path("imagenet") / "config.json").read_text())["tubelet_config"]
             ["tower_config"]["id2label"].values())  # fmt: skip


def test_the_word_list_covers_the_thousand_classes_with_wordnet_hypernyms():
    words = json.loads((bundled_model_path("imagenet") / "words.json").read_text())
    classes = json.loads((bundled_model_path("imagenet") / "classes.json").read_text())["classes"]
    assert len(words["classes"]) == 1000 and "WordNet 3.0" in words["source"] and "Princeton" in words["license"]
    assert all(a[0] == c["synset"][1:] for a, c in zip(words["classes"], classes, strict=True))
    dogs = labels_named("dog", ["imagenet"], LABELS)
    assert len(dogs) == 118 and {"golden retriever", "Chihuahua", "Siberian husky"} <= set(dogs)
    assert "hotdog" not in dogs and "dingo" not in dogs  # a hot dog is food; a dingo is a wild dog, not a dog
    assert {"bald eagle", "ostrich", "hen"} <= set(labels_named("bird", ["imagenet"], LABELS))
    assert {"ambulance", "mountain bike", "airliner"} <= set(labels_named("Vehicle", ["imagenet"], LABELS))
    assert labels_named("espresso", ["imagenet"], LABELS) == ["espresso"]
    assert labels_named("no such thing", ["imagenet"], LABELS) == [] and word_index(FOLDER)["courgette"] == {"zucchini"}


def test_searching_a_general_word_finds_the_clip_of_a_specific_label(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    still_video(videos / "coffee.mp4", photo("coffee"))
    db = tmp_path / "lib.db"
    r = run_cli("index", videos, "--db", db, "--model", "imagenet", "-q")
    assert r.returncode == 0, r.stderr
    for word in ("espresso", "coffee", "beverage"):
        hits = json.loads(run_cli("search", word, "--db", db, "--format", "json").stdout)
        assert hits and {h["label"] for h in hits} == {"espresso"}, word
    import urllib.request

    from tubelet.serve.launch import serving

    with serving(db) as (base, _):
        with urllib.request.urlopen(base + "/api/search?label=beverage") as r:
            found = json.loads(r.read())
        with urllib.request.urlopen(base + "/api/words") as r:
            assert isinstance(json.loads(r.read()), list)
    assert found["labels"] == ["espresso"] and found["hits"] and found["hits"][0]["model"] == "imagenet"
    none = run_cli("search", "dog", "--db", db)
    assert none.returncode == 0 and "no segment is labelled 'dog'" in none.stderr
    assert {"word": "dog", "labels": 118} not in vocabulary(["imagenet"], {"espresso"})  # words name library labels
    assert vocabulary(["imagenet"], LABELS)[0]["labels"] == 1000  # the root names every class
