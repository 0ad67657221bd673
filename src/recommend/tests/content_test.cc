#include "recommend/content.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "recommend/interactions.h"

namespace segue::recommend {
namespace {

AudioFeatures sound(double tempo, double energy, double acoustic = 0.5) {
  AudioFeatures a;
  a.tempo = tempo;
  a.loudness = -10;
  a.energy = energy;
  a.danceability = 0.5;
  a.valence = 0.5;
  a.acousticness = acoustic;
  a.key = 0;
  a.mode = 1;
  return a;
}

// Two clusters: calm ambient (tempo ~85, low energy, acoustic) and drum & bass (tempo ~172,
// high energy, not acoustic), 40 items each, with noise; genre spelled differently across items.
std::vector<ContentFeatures> two_clusters(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  std::vector<ContentFeatures> items;
  for (int i = 0; i < 80; ++i) {
    const bool calm = i < 40;
    ContentFeatures f;
    f.audio = sound(calm ? 85 + 4 * noise(rng) : 172 + 5 * noise(rng), calm ? 0.2 + 0.05 * noise(rng) : 0.85 + 0.05 * noise(rng),
                    calm ? 0.8 + 0.05 * noise(rng) : 0.1 + 0.05 * noise(rng));
    f.audio->key = static_cast<int>(rng() % 12);  // keys say nothing about the cluster
    f.audio->mode = static_cast<int>(rng() % 2);
    if (calm) f.genres = {i % 2 ? "Ambient" : "ambient", "Electronic"};
    else f.genres = {i % 2 ? "Drum & Bass" : "drum and bass", "electronic"};
    f.year = 1990 + static_cast<int>(rng() % 30);
    items.push_back(std::move(f));
  }
  return items;
}

TEST(Content, FoldsGenresCaseAndPunctuationInsensitively) {
  EXPECT_EQ(fold_genre("Hip-Hop"), "hiphop");
  EXPECT_EQ(fold_genre("hip hop"), "hiphop");
  EXPECT_EQ(fold_genre("Drum & Bass"), "drumandbass");
  EXPECT_EQ(fold_genre("drum and bass"), "drumandbass");
  EXPECT_EQ(fold_genre("  -- "), "");
  EXPECT_EQ(fold_genre("Música"), "música");  // non-ASCII kept as it is
}

TEST(Content, NeighboursStayInTheirCluster) {
  auto items = two_clusters(3);
  auto space = ContentSpace::build(items);
  ASSERT_TRUE(space.ok()) << space.error().message;
  for (int32_t i = 0; i < 80; ++i) {
    auto nb = space->nearest(i, 10);
    ASSERT_TRUE(nb.ok());
    ASSERT_EQ(nb->size(), 10u);
    for (const auto& n : *nb) {
      EXPECT_EQ(n.item < 40, i < 40) << "item " << i << " got " << n.item;
      EXPECT_NE(n.item, i);
    }
    for (std::size_t k = 1; k < nb->size(); ++k) EXPECT_GE((*nb)[k - 1].similarity, (*nb)[k].similarity);
  }
}

// Many random items over a few genres, for the inverted file.
std::vector<ContentFeatures> cell_items(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<ContentFeatures> items(static_cast<std::size_t>(n));
  for (auto& f : items) {
    if (u(rng) < 0.9) f.audio = sound(60 + 140 * u(rng), u(rng), u(rng));
    if (u(rng) < 0.8) f.genres = {"genre " + std::to_string(rng() % 12)};
    f.year = 1960 + static_cast<int>(rng() % 60);
  }
  items[7] = ContentFeatures{};  // one with nothing: in no cell, nobody's neighbour
  return items;
}

TEST(ContentCells, ProbingEveryCellGivesExactlyTheFullPass) {
  auto items = cell_items(3000, 5);
  auto exact = ContentSpace::build(items);
  auto cells = ContentSpace::build(items);
  ASSERT_TRUE(exact.ok() && cells.ok());
  ASSERT_TRUE(cells->build_cells(40, 40).ok());
  EXPECT_EQ(cells->cells(), 40);
  int32_t placed = 0;
  for (int c = 0; c < cells->cells(); ++c) placed += cells->cell_size(c);
  EXPECT_EQ(placed, 2999);  // every item with content, once
  const std::vector<int32_t> exclude{11, 12};
  for (int32_t i : {0, 1, 7, 500, 2999}) {
    auto a = exact->nearest(i, 25, exclude);
    auto b = cells->nearest(i, 25, exclude);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), b->size()) << "item " << i;
    for (std::size_t k = 0; k < a->size(); ++k) {
      EXPECT_EQ((*a)[k].item, (*b)[k].item) << "item " << i << " rank " << k;
      EXPECT_NEAR((*a)[k].similarity, (*b)[k].similarity, 1e-5f);
      EXPECT_NE((*b)[k].item, 11);
    }
  }
}

TEST(ContentCells, AFewProbedCellsFindMostOfTheNearestAndScoreOnlyThem) {
  auto items = cell_items(6000, 9);
  auto space = ContentSpace::build(items);
  ASSERT_TRUE(space.ok());
  std::vector<std::vector<int32_t>> truth;
  for (int32_t q = 0; q < 200; ++q) {
    auto nb = space->nearest(q * 29, 20);
    ASSERT_TRUE(nb.ok());
    std::vector<int32_t> ids;
    for (const auto& n : *nb) ids.push_back(n.item);
    truth.push_back(ids);
  }
  ASSERT_TRUE(space->build_cells(60, 6).ok());
  int hits = 0, total = 0;
  for (int32_t q = 0; q < 200; ++q) {
    auto nb = space->nearest(q * 29, 20);
    ASSERT_TRUE(nb.ok());
    for (int32_t t : truth[static_cast<std::size_t>(q)]) {
      ++total;
      hits += std::any_of(nb->begin(), nb->end(), [&](const ContentNeighbor& n) { return n.item == t; });
    }
  }
  // A tenth of the cells finds most of the true neighbours.
  EXPECT_GT(static_cast<double>(hits) / total, 0.7);
  // A budget of one item stops after the two most similar cells: fewer found.
  ASSERT_TRUE(space->build_cells(60, 6, 1).ok());
  int budget_hits = 0;
  for (int32_t q = 0; q < 200; ++q) {
    auto nb = space->nearest(q * 29, 20);
    ASSERT_TRUE(nb.ok());
    for (int32_t t : truth[static_cast<std::size_t>(q)])
      budget_hits += std::any_of(nb->begin(), nb->end(), [&](const ContentNeighbor& n) { return n.item == t; });
  }
  EXPECT_LT(budget_hits, hits);
  EXPECT_GT(budget_hits, 0);
}

TEST(ContentCells, BadSettingsAreRefusedAndTooFewItemsKeepTheFullPass) {
  auto items = cell_items(50, 2);
  auto space = ContentSpace::build(items);
  ASSERT_TRUE(space.ok());
  EXPECT_EQ(space->build_cells(0, 1).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(space->build_cells(4, 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(space->build_cells(4, 1, -1).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(space->build_cells(100, 4).ok());
  EXPECT_EQ(space->cells(), 0);  // 49 items with content < 100 cells
  auto nb = space->nearest(0, 60);
  ASSERT_TRUE(nb.ok());
  EXPECT_EQ(nb->size(), 48u);  // every other item with content
}

TEST(Content, AnItemWithOnlyTagsOrOnlyFeaturesIsStillPlaced) {
  auto items = two_clusters(4);
  ContentFeatures tags_only;  // not analysed yet
  tags_only.genres = {"DRUM-AND-BASS"};
  ContentFeatures audio_only;  // no tags
  audio_only.audio = sound(88, 0.18, 0.85);
  ContentFeatures nothing;
  items.push_back(tags_only);   // 80
  items.push_back(audio_only);  // 81
  items.push_back(nothing);     // 82
  auto space = ContentSpace::build(items);
  ASSERT_TRUE(space.ok());
  auto a = space->nearest(80, 10);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 10u);
  for (const auto& n : *a) EXPECT_TRUE(n.item >= 40 && n.item < 80) << n.item;
  auto b = space->nearest(81, 10);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 10u);
  for (const auto& n : *b) EXPECT_LT(n.item, 40);
  // Nothing known: no neighbours, and nobody's neighbour.
  EXPECT_FALSE(space->has_content(82));
  EXPECT_TRUE(space->nearest(82, 5)->empty());
  auto all = space->nearest(0, 1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 81u);  // 83 items minus itself and the empty one
  for (const auto& n : *all) EXPECT_NE(n.item, 82);
}

TEST(Content, TempoIsOnALogScale) {
  // Only the tempo differs; the key block (same for all) is the yardstick.
  std::vector<ContentFeatures> items(3);
  const double tempos[] = {60, 120, 240};
  for (int i = 0; i < 3; ++i) items[static_cast<std::size_t>(i)].audio = sound(tempos[i], 0.5);
  auto space = ContentSpace::build(items);
  ASSERT_TRUE(space.ok());
  double r[3];
  for (int i = 0; i < 3; ++i) {
    auto v = space->vector(i);
    ASSERT_GT(v[ContentSpace::kAudioDims], 0);  // cos of C major on the circle of fifths
    r[i] = v[0] / v[ContentSpace::kAudioDims];
  }
  EXPECT_NEAR(r[1], 0, 1e-5);  // 120 is the mean of log2 tempo
  EXPECT_LT(r[0], -0.1);
  EXPECT_NEAR(r[1] - r[0], r[2] - r[1], 1e-4);  // on a linear scale 60 apart vs 120 apart
}

TEST(Content, KeysSitOnTheCircleOfFifths) {
  // Items with only a key (every other value the same): cosines of the key block alone.
  auto key = [](int k, int mode) {
    ContentFeatures f;
    f.audio = sound(120, 0.5);
    f.audio->key = k;
    f.audio->mode = mode;
    return f;
  };
  std::vector<ContentFeatures> items = {key(0, 1), key(7, 1), key(6, 1), key(9, 0), key(0, 0)};  // C G F# Am Cm
  auto space = ContentSpace::build(items);
  ASSERT_TRUE(space.ok());
  auto nb = space->nearest(0, 4);
  ASSERT_TRUE(nb.ok());
  ASSERT_EQ(nb->size(), 4u);
  const double pi = std::acos(-1.0);
  // 0.8 cos(angle between the major keys) + 0.2 (same mode) or - 0.2.
  EXPECT_EQ((*nb)[0].item, 1);
  EXPECT_NEAR((*nb)[0].similarity, 0.8 * std::cos(pi / 6) + 0.2, 1e-5);  // G: one fifth
  EXPECT_EQ((*nb)[1].item, 3);
  EXPECT_NEAR((*nb)[1].similarity, 0.8 - 0.2, 1e-5);  // A minor: C major's notes
  EXPECT_EQ((*nb)[2].item, 4);
  EXPECT_NEAR((*nb)[2].similarity, 0.0 - 0.2, 1e-5);  // C minor = E flat major, three fifths
  EXPECT_EQ((*nb)[3].item, 2);
  EXPECT_NEAR((*nb)[3].similarity, -0.8 + 0.2, 1e-5);  // F#: six fifths, opposite
}

TEST(Content, IdfMakesARareGenreCountMoreThanACommonOne) {
  // 100 items: 80 "rock", 3 "zydeco"; the query has both, candidates one each.
  std::vector<ContentFeatures> items(100);
  for (int i = 0; i < 80; ++i) items[static_cast<std::size_t>(i)].genres = {"Rock"};
  items[80].genres = {"zydeco"};
  items[81].genres = {"Zydeco"};
  items[82].genres = {"rock", "ZYDECO"};  // the query
  auto space = ContentSpace::build(items);
  ASSERT_TRUE(space.ok());
  ASSERT_TRUE(space->idf("zydeco") && space->idf("rock"));
  EXPECT_NEAR(*space->idf("zydeco"), std::log(101.0 / 4.0) + 1, 1e-5);
  EXPECT_NEAR(*space->idf("rock"), std::log(101.0 / 82.0) + 1, 1e-5);
  auto nb = space->nearest(82, 3);
  ASSERT_TRUE(nb.ok());
  ASSERT_EQ(nb->size(), 3u);
  EXPECT_EQ((*nb)[0].item, 80);  // zydeco items first, ties by index
  EXPECT_EQ((*nb)[1].item, 81);
  EXPECT_EQ((*nb)[2].item, 0);
  EXPECT_GT((*nb)[1].similarity, (*nb)[2].similarity + 0.3f);
}

TEST(Content, StandardisationIgnoresItemsWithoutFeatures) {
  // Energies 0.2, 0.4, 0.6 on three analysed items, 50 tagged items never analysed; a tempo of
  // 0 (no beat) is unknown, not "very slow".
  std::vector<ContentFeatures> items(53);
  const double energy[] = {0.2, 0.4, 0.6};
  const double tempo[] = {100, 0, 100 * 1.5};
  for (int i = 0; i < 3; ++i) items[static_cast<std::size_t>(i)].audio = sound(tempo[i], energy[i]);
  for (int i = 3; i < 53; ++i) items[static_cast<std::size_t>(i)].genres = {"jazz"};
  auto space = ContentSpace::build(items);
  ASSERT_TRUE(space.ok());
  const auto v0 = space->vector(0), v1 = space->vector(1), v2 = space->vector(2);
  EXPECT_NEAR(v1[2], 0, 1e-6);  // 0.4 is the mean over the analysed items (not ~0.02 over all)
  EXPECT_LT(v0[2], -0.1);
  EXPECT_NEAR(v0[2] / v0[ContentSpace::kAudioDims], -v2[2] / v2[ContentSpace::kAudioDims], 1e-5);
  // Tempo: mean over items 0 and 2 only; item 1 has no tempo entry.
  EXPECT_EQ(v1[0], 0);
  EXPECT_NEAR(v0[0] / v0[ContentSpace::kAudioDims], -v2[0] / v2[ContentSpace::kAudioDims], 1e-5);
}

TEST(Content, EmbedPlacesANewItemLikeTheItemsOfTheSpace) {
  auto items = two_clusters(5);
  auto space = ContentSpace::build(items);
  ASSERT_TRUE(space.ok());
  auto same = space->embed(items[7]);
  ASSERT_TRUE(same.ok());
  EXPECT_LT((*same - space->vector(7)).norm(), 1e-5);
  ContentFeatures fresh;
  fresh.audio = sound(175, 0.9, 0.05);
  fresh.genres = {"Drum & Bass", "an unknown genre"};
  auto v = space->embed(fresh);
  ASSERT_TRUE(v.ok());
  EXPECT_NEAR(v->norm(), 1, 1e-5);
  auto nb = space->nearest_to(*v, 5, std::vector<int32_t>{40, 41, 42});
  ASSERT_TRUE(nb.ok());
  ASSERT_EQ(nb->size(), 5u);
  for (const auto& n : *nb) {
    EXPECT_GE(n.item, 43);
    EXPECT_LT(n.item, 80);
  }
}

TEST(Content, BadInputGivesClearErrors) {
  auto items = two_clusters(6);
  items[3].audio->energy = std::numeric_limits<double>::quiet_NaN();
  auto s = ContentSpace::build(items);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("item 3"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("energy"), std::string::npos) << s.error().message;
  items = two_clusters(6);
  items[5].audio->key = 12;
  EXPECT_FALSE(ContentSpace::build(items).ok());
  items = two_clusters(6);
  items[5].audio->tempo = -1;
  EXPECT_FALSE(ContentSpace::build(items).ok());
  items = two_clusters(6);
  items[5].audio->loudness = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(ContentSpace::build(items).ok());
  items = two_clusters(6);
  ContentOptions o;
  o.genre_weight = -1;
  EXPECT_FALSE(ContentSpace::build(items, o).ok());
  o = {};
  o.audio_weight = o.key_weight = o.year_weight = o.genre_weight = 0;
  EXPECT_FALSE(ContentSpace::build(items, o).ok());

  // Empty space: builds, has nothing, and queries on it are errors or empty.
  auto empty = ContentSpace::build(std::span<const ContentFeatures>{});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->items(), 0);
  EXPECT_FALSE(empty->nearest(0, 5).ok());

  auto space = ContentSpace::build(two_clusters(6));
  ASSERT_TRUE(space.ok());
  EXPECT_FALSE(space->nearest(-1, 5).ok());
  EXPECT_FALSE(space->nearest(80, 5).ok());
  EXPECT_TRUE(space->nearest(0, 0)->empty());
  EXPECT_FALSE(space->nearest_to(Eigen::VectorXf::Zero(3), 5).ok());
  Eigen::VectorXf nan = space->vector(0);
  nan[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(space->nearest_to(nan, 5).ok());
  ContentFeatures bad;
  bad.year = 0;
  EXPECT_FALSE(space->embed(bad).ok());
}

// Random items over 12 genres, each with audio, a year and 1-3 genres.
std::vector<ContentFeatures> random_items(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<ContentFeatures> items(static_cast<std::size_t>(n));
  for (auto& f : items) {
    f.audio = sound(60 + 140 * u(rng), u(rng), u(rng));
    f.audio->valence = u(rng);
    f.audio->danceability = u(rng);
    f.audio->loudness = -30 + 25 * u(rng);
    f.audio->key = static_cast<int>(rng() % 12);
    f.audio->mode = static_cast<int>(rng() % 2);
    const int g = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < g; ++k) f.genres.push_back("genre " + std::to_string(rng() % 12));
    f.year = 1960 + static_cast<int>(rng() % 60);
  }
  return items;
}

TEST(ColdStart, RidgeRecoversAPlantedLinearMapOnHeldOutItems) {
  auto space = ContentSpace::build(random_items(1000, 7));
  ASSERT_TRUE(space.ok());
  const int f = 8;
  std::mt19937_64 rng(8);
  std::normal_distribution<float> g(0, 1);
  Eigen::MatrixXf w(space->dims(), f);
  for (Eigen::Index r = 0; r < w.rows(); ++r)
    for (Eigen::Index c = 0; c < f; ++c) w(r, c) = g(rng);
  Eigen::RowVectorXf b(f);
  for (int c = 0; c < f; ++c) b[c] = g(rng);
  FactorMatrix y = space->vectors() * w;
  y.rowwise() += b;
  for (Eigen::Index r = 0; r < y.rows(); ++r)
    for (Eigen::Index c = 0; c < f; ++c) y(r, c) += 0.01f * g(rng);
  std::vector<int32_t> warm;
  for (int32_t i = 0; i < 800; ++i) warm.push_back(i);
  auto m = ColdStartMapping::fit(*space, y, warm, 1e-3f);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->factors(), f);
  // Held out: items 800..999, never seen by the fit.
  double err = 0, spread = 0;
  const Eigen::RowVectorXf mean = y.topRows(800).colwise().mean();
  for (int32_t i = 800; i < 1000; ++i) {
    auto p = m->predict(*space, i);
    ASSERT_TRUE(p.ok());
    err += (p->transpose() - y.row(i)).squaredNorm();
    spread += (y.row(i) - mean).squaredNorm();
  }
  EXPECT_LT(err, 0.01 * spread) << "relative squared error " << err / spread;
  // predict_all and predict(vector) agree with predict(item).
  auto all = m->predict_all(*space);
  ASSERT_TRUE(all.ok());
  EXPECT_LT((all->row(900).transpose() - *m->predict(*space, 900)).norm(), 1e-4);
  EXPECT_LT((*m->predict(space->vector(900)) - *m->predict(*space, 900)).norm(), 1e-4);

  // A huge penalty shrinks every prediction to the warm items' mean.
  auto flat = ColdStartMapping::fit(*space, y, warm, 1e6f);
  ASSERT_TRUE(flat.ok());
  EXPECT_LT((flat->predict(*space, 900)->transpose() - mean).norm(), 0.01 * mean.norm() + 1e-3);

  // Bad input.
  EXPECT_FALSE(ColdStartMapping::fit(*space, y, {}, 1.0f).ok());
  EXPECT_FALSE(ColdStartMapping::fit(*space, y, warm, 0.0f).ok());
  EXPECT_FALSE(ColdStartMapping::fit(*space, y, warm, std::nanf("")).ok());
  EXPECT_FALSE(ColdStartMapping::fit(*space, y.topRows(10), warm, 1.0f).ok());
  std::vector<int32_t> out_of_range = {0, 1000};
  EXPECT_FALSE(ColdStartMapping::fit(*space, y, out_of_range, 1.0f).ok());
  FactorMatrix y_nan = y;
  y_nan(5, 2) = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(ColdStartMapping::fit(*space, y_nan, warm, 1.0f).ok());
  EXPECT_FALSE(m->predict(*space, 1000).ok());
  EXPECT_FALSE(m->predict(Eigen::VectorXf::Zero(2)).ok());
}

TEST(ColdStart, AColdTrackIsScoredByTheTasteItSoundsLike) {
  // Two tastes: users 0..19 play folk (items 0..29: slow, acoustic), users 20..39 metal (items
  // 30..59: fast, loud). Items 25..29 and 55..59 nobody has played.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0, 1);
  std::vector<ContentFeatures> items(60);
  for (int32_t i = 0; i < 60; ++i) {
    const bool folk = i < 30;
    auto& f = items[static_cast<std::size_t>(i)];
    f.audio = sound(folk ? 90 + 5 * noise(rng) : 180 + 8 * noise(rng), folk ? 0.3 + 0.05 * noise(rng) : 0.9 + 0.03 * noise(rng),
                    folk ? 0.85 : 0.05);
    f.genres = {folk ? "Folk" : "Metal"};
  }
  std::vector<Triple> t;
  for (int32_t u = 0; u < 40; ++u) {
    const int32_t base = u < 20 ? 0 : 30;
    for (int n = 0; n < 10; ++n) t.push_back({u, base + static_cast<int32_t>(rng() % 25), static_cast<float>(1 + rng() % 20)});
  }
  auto data = Interactions::from_triples(40, 60, std::move(t));
  AlsOptions o;
  o.factors = 4;
  o.iterations = 10;
  o.threads = 1;
  auto model = train_als(data, o);
  auto warm = warm_items(data, 2);
  for (int32_t i : warm) EXPECT_TRUE(i % 30 < 25) << i;
  ASSERT_GT(warm.size(), 30u);
  auto space = ContentSpace::build(items);
  ASSERT_TRUE(space.ok());
  auto m = ColdStartMapping::fit(*space, model.items, warm, 0.1f);
  ASSERT_TRUE(m.ok());
  for (int32_t u = 0; u < 40; ++u) {
    for (int32_t c = 25; c < 30; ++c) {
      const float folk = model.users.row(u).dot(m->predict(*space, c)->transpose());
      const float metal = model.users.row(u).dot(m->predict(*space, c + 30)->transpose());
      EXPECT_EQ(folk > metal, u < 20) << "user " << u << " cold items " << c << ", " << c + 30;
    }
  }
}

TEST(ColdStart, WarmItemsHaveEnoughUsers) {
  auto data = Interactions::from_triples(3, 4, {{0, 0, 1}, {1, 0, 1}, {2, 0, 1}, {0, 1, 5}, {1, 1, 1}, {0, 2, 9}});
  EXPECT_EQ(warm_items(data, 2), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(warm_items(data, 3), (std::vector<int32_t>{0}));
  EXPECT_EQ(warm_items(data, 1), (std::vector<int32_t>{0, 1, 2}));
}

}  // namespace
}  // namespace segue::recommend
