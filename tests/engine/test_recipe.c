/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Recipes: parsing, validation messages that name step and key, round trips, targets. */
#include <string.h>
#include "lathe/lathe.h"
#include "testutil.h"

static void expect_error(const char *json, const char *needle)
{
    lathe_recipe r;
    char err[512] = "";
    lathe_status st = lathe_recipe_parse(json, &r, err, sizeof err);
    CHECK(st == LATHE_ERR_INVALID_ARGUMENT && strstr(err, needle),
          "recipe %s: want error containing \"%s\", got status %d \"%s\"", json, needle, st, err);
}

int main(void)
{
    lathe_recipe r, r2;
    char err[512] = "";
    const char *good =
        "{\"lathe_recipe\": 1, \"seed\": 7,"
        " \"target\": {\"name\": \"spotify\", \"lufs\": -13.5, \"bits\": 16, \"dither\": \"shaped\"},"
        " \"chain\": [ {\"fx\": \"dc_block\", \"freq_hz\": 10},"
        "              {\"fx\": \"gain\", \"gain_db\": -3.5, \"invert\": \"right\"} ]}";

    CHECK(lathe_recipe_parse(good, &r, err, sizeof err) == LATHE_OK, "valid recipe parses: %s", err);
    CHECK(r.steps == 2, "two steps (got %d)", r.steps);
    CHECK(r.seed == 7, "seed 7");
    CHECK_NEAR(r.target.lufs, -13.5, 0, "lufs overrides the named target");
    CHECK_NEAR(r.target.ceiling_dbtp, -1.0, 0, "ceiling from the named target");
    CHECK(r.target.bits == 16 && r.target.dither == LATHE_DITHER_SHAPED, "bits and dither");
    CHECK(!strcmp(r.target.name, "spotify"), "target name");
    CHECK_NEAR(r.step[0].params[0], 10.0, 0, "dc_block freq");
    CHECK_NEAR(r.step[1].params[lathe_fx_param_index(r.step[1].cls, "gain_db")], -3.5, 0, "gain");
    CHECK_NEAR(r.step[1].params[lathe_fx_param_index(r.step[1].cls, "invert")], 2, 0,
               "choice by name");

    /* Round trip: every parameter written, parsed back identically. */
    char *text = NULL;
    CHECK(lathe_recipe_to_json(&r, &text) == LATHE_OK && text, "serialise");
    CHECK(lathe_recipe_parse(text, &r2, err, sizeof err) == LATHE_OK, "reparse: %s", err);
    CHECK(r2.steps == r.steps && r2.seed == r.seed, "same steps and seed");
    for (int s = 0; s < r.steps && s < r2.steps; s++)
        for (int i = 0; i < r.step[s].cls->num_params; i++)
            CHECK(r.step[s].params[i] == r2.step[s].params[i], "step %d param %d round trips", s, i);
    CHECK(r2.target.lufs == r.target.lufs && r2.target.bits == r.target.bits, "target round trips");
    free(text);
    lathe_recipe_free(&r);
    lathe_recipe_free(&r2);

    /* Errors name the step and the key. */
    expect_error("{\"lathe_recipe\": 1, \"chain\": [{\"fx\": \"gain\", \"gian_db\": 1}]}",
                 "step 1 (gain): unknown key 'gian_db'");
    expect_error("{\"lathe_recipe\": 1, \"chain\": [{\"fx\": \"gain\"}, {\"fx\": \"dc_block\", "
                 "\"freq_hz\": 100}]}", "step 2 (dc_block): freq_hz: 100 is out of range 1..40 Hz");
    expect_error("{\"lathe_recipe\": 1, \"chain\": [{\"fx\": \"gain\", \"gain_db\": \"loud\"}]}",
                 "step 1 (gain): gain_db: expected a number");
    expect_error("{\"lathe_recipe\": 1, \"chain\": [{\"fx\": \"gain\", \"invert\": \"sideways\"}]}",
                 "step 1 (gain): invert: expected one of none, left, right, both");
    expect_error("{\"lathe_recipe\": 1, \"chain\": [{\"fx\": \"reverb\"}]}",
                 "step 1: unknown processor 'reverb'");
    expect_error("{\"lathe_recipe\": 1, \"chain\": [{\"gain_db\": 1}]}", "step 1: missing \"fx\"");
    expect_error("{\"lathe_recipe\": 1, \"chain\": [{\"fx\": \"gain\", \"bands\": [{\"x\": 1}]}]}",
                 "step 1 (gain): bands[0]: unknown key 'x'");
    expect_error("{\"lathe_recipe\": 1, \"target\": {\"lufs\": 3}}", "target: lufs");
    expect_error("{\"lathe_recipe\": 1, \"target\": {\"name\": \"myspace\"}}", "target: name");
    expect_error("{\"lathe_recipe\": 1, \"target\": {\"bits\": 12}}", "target: bits");
    expect_error("{\"lathe_recipe\": 1, \"target\": {\"format\": \"mp3\"}}", "target: format");
    expect_error("{\"lathe_recipe\": 1, \"colour\": 1}", "unknown key 'colour'");
    expect_error("{\"lathe_recipe\": 2}", "\"lathe_recipe\": expected version 1");
    expect_error("{\"lathe_recipe\": 1,", "line 1");
    expect_error("[1, 2]", "expected a JSON object");

    /* Every named target resolves, with a source and a confidence. */
    for (size_t i = 0; i < lathe_target_count(); i++) {
        const lathe_target_info *ti = lathe_target_at(i);
        lathe_target t;
        CHECK(lathe_target_from_name(ti->name, &t) == LATHE_OK && t.lufs == ti->lufs,
              "target %s resolves", ti->name);
        CHECK(ti->source && strlen(ti->source) > 20 && ti->confidence, "target %s has a source",
              ti->name);
    }
    return test_summary();
}
