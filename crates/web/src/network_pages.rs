//! The network's pages: the feed, posts with comments and the reaction
//! picker, profiles (with "view as"), editing one's profile, connections,
//! notifications, messages and moderation. Every form works without
//! JavaScript; `live.js` only adds live counts and the "new posts" link.

use crate::AppState;
use crate::error::{AppError, PageError};
use crate::extract::PageForm;
use crate::network_api::{by_handle, member, moderator, parse_audience, parse_cursor};
use crate::pages::{Layout, page, see_other};
use crate::session::Ctx;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lyceum_core::domain::MemberId;
use lyceum_core::domain::network::{Audience, ReactionKind, Relation, parse_tag};
use lyceum_store::network::{
    self as net, CommentView, ConnectionState, Decision, EntryKind, NoticeKind, PostView,
    ProfileSwitches, Reason, ReportTarget, SectionVisibility,
};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/feed",
            get(feed_page)
                .post(create_post)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::post_images::MAX_POST_REQUEST_BYTES,
                )),
        )
        .route("/media/images/{id}/{size}", get(crate::post_images::serve))
        .route("/posts/{id}", get(post_page))
        .route("/posts/{id}/edit", post(edit_post))
        .route("/posts/{id}/delete", post(delete_post))
        .route("/posts/{id}/comments", post(add_comment))
        .route("/comments/{id}/delete", post(delete_comment))
        .route("/react/{id}", post(react))
        .route("/tags/{tag}", get(tag_page))
        .route("/people/{handle}", get(profile_page))
        .route("/people/{handle}/{action}", post(person_action))
        .route("/me/profile", get(edit_profile_page))
        .route("/me/profile/intro", post(save_intro))
        .route("/me/profile/privacy", post(save_privacy))
        .route("/me/profile/entries", post(add_entry))
        .route("/me/profile/entries/{id}/delete", post(delete_entry))
        .route("/me/profile/preview", get(preview_page))
        .route("/network", get(network_page))
        .route("/network/connections.csv", get(connections_csv))
        .route("/network/requests/{id}/{action}", post(request_action))
        .route("/notifications", get(notifications_page))
        .route("/notifications/settings", post(save_notice_settings))
        .route("/notifications/live", get(live))
        .route("/messages", get(messages_page))
        .route(
            "/messages/{handle}",
            get(conversation_page).post(send_message),
        )
        .route("/report/{kind}/{id}", get(report_page).post(send_report))
        .route("/moderation", get(moderation_page))
        .route("/moderation/reports/{id}", post(decide))
        .route("/moderation/appeals/{id}", post(decide_appeal))
        .route("/moderation/log", get(log_page))
        .route("/me/moderation", get(my_moderation_page))
        .route("/me/moderation/{id}/appeal", post(appeal))
        .route("/static/live.js", get(live_script))
}

async fn live_script() -> Response {
    let mut res = (StatusCode::OK, include_str!("../static/live.js")).into_response();
    let h = res.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

async fn live(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let me = member(&state, &ctx).await?;
    Ok(crate::network_api::live_stream(state, me)
        .await
        .into_response())
}

/// Post text as safe HTML: escaped, with line breaks, and with web
/// addresses, `#tags` and `@handles` made into links. Links leave with
/// `rel="nofollow noopener noreferrer"`.
pub(crate) fn render_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        let mut first = true;
        for word in line.split(' ') {
            if !first {
                out.push(' ');
            }
            first = false;
            out.push_str(&render_word(word));
        }
    }
    out
}

fn render_word(word: &str) -> String {
    let trimmed = word.trim_end_matches(['.', ',', '!', '?', ';', ':', ')']);
    let tail = &word[trimmed.len()..];
    let e = |s: &str| {
        askama::filters::escape(s, askama::filters::Html)
            .map(|s| s.to_string())
            .unwrap_or_default()
    };
    if (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
        && url::Url::parse(trimmed).is_ok()
    {
        return format!(
            r#"<a href="{0}" rel="nofollow noopener noreferrer">{0}</a>{1}"#,
            e(trimmed),
            e(tail)
        );
    }
    if let Some(tag) = trimmed.strip_prefix('#')
        && let Some(t) = parse_tag(tag)
    {
        return format!(r#"<a href="/tags/{}">{}</a>{}"#, e(&t), e(trimmed), e(tail));
    }
    if let Some(h) = trimmed.strip_prefix('@')
        && let Ok(h) = lyceum_core::domain::network::Handle::parse(h)
    {
        return format!(
            r#"<a href="/people/{}">{}</a>{}"#,
            e(h.as_str()),
            e(trimmed),
            e(tail)
        );
    }
    e(word)
}

pub(crate) struct PersonView {
    handle: String,
    name: String,
    headline: Option<String>,
}

impl From<&net::PersonCard> for PersonView {
    fn from(c: &net::PersonCard) -> Self {
        Self {
            handle: c.handle.clone(),
            name: c.name.clone(),
            headline: c.headline.clone(),
        }
    }
}

pub(crate) struct ReactionButton {
    kind: &'static str,
    label: &'static str,
    symbol: &'static str,
    count: u32,
    pressed: bool,
}

pub(crate) struct CommentItem {
    id: String,
    author: PersonView,
    body: String,
    date: String,
    total: u32,
    liked: bool,
    can_delete: bool,
    replies: Vec<CommentItem>,
    erased: bool,
}

pub(crate) struct PostItem {
    id: String,
    author: PersonView,
    audience: &'static str,
    body: String,
    date: String,
    edited: bool,
    reactions: Vec<ReactionButton>,
    total: u32,
    mine_label: Option<&'static str>,
    comment_count: u32,
    comments: Vec<CommentItem>,
    is_mine: bool,
    removed: bool,
    raw_body: String,
    images: Vec<net::ImageView>,
    erased: bool,
}

fn buttons(counts: [u32; 5], mine: Option<ReactionKind>) -> Vec<ReactionButton> {
    ReactionKind::ALL
        .into_iter()
        .map(|k| ReactionButton {
            kind: k.key(),
            label: k.label(),
            symbol: k.symbol(),
            count: counts[k.index()],
            pressed: mine == Some(k),
        })
        .collect()
}

fn date(d: chrono::DateTime<chrono::Utc>) -> String {
    d.format("%-d %B %Y, %H:%M UTC").to_string()
}

fn comment_item(c: &CommentView) -> CommentItem {
    CommentItem {
        id: c.id.to_string(),
        author: (&c.author).into(),
        body: render_text(&c.body),
        date: date(c.created_at),
        total: c.reactions.iter().sum(),
        liked: c.my_reaction == Some(ReactionKind::Like),
        can_delete: c.can_delete,
        replies: c.replies.iter().map(comment_item).collect(),
        erased: c.erased,
    }
}

fn post_item(p: &PostView, viewer: Option<MemberId>) -> PostItem {
    PostItem {
        id: p.id.to_string(),
        author: (&p.author).into(),
        audience: match p.audience {
            Audience::Connections => "Connections",
            Audience::Members => "Members",
            _ => "Anyone",
        },
        body: render_text(&p.body),
        raw_body: p.body.clone(),
        date: date(p.created_at),
        edited: p.edited_at.is_some(),
        reactions: buttons(p.reactions, p.my_reaction),
        total: p.reaction_total(),
        mine_label: p.my_reaction.map(ReactionKind::label),
        comment_count: p.comment_count,
        comments: p.comments.iter().map(comment_item).collect(),
        is_mine: viewer.is_some_and(|v| v.0 == p.author.id),
        removed: p.removed,
        images: p.images.clone(),
        erased: p.erased,
    }
}

/// Where to return after a form, if it is a path on this site.
fn back_to(back: &str, fallback: &str) -> String {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back.to_owned()
    } else {
        fallback.to_owned()
    }
}

#[derive(Template)]
#[template(path = "network_feed.html")]
struct FeedPage {
    layout: Layout,
    heading: String,
    intro: Option<String>,
    composer: bool,
    error: Option<String>,
    draft: String,
    audiences: Vec<(&'static str, &'static str, bool)>,
    posts: Vec<PostItem>,
    next: Option<String>,
    newest: String,
    back: String,
    signed_in: bool,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
struct FeedParams {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn feed_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<FeedParams>,
) -> Result<Response, PageError> {
    render_feed(&state, &ctx, &p, None, String::new(), Audience::Connections).await
}

async fn render_feed(
    state: &AppState,
    ctx: &Ctx,
    p: &FeedParams,
    error: Option<String>,
    draft: String,
    audience: Audience,
) -> Result<Response, PageError> {
    let me = member(state, ctx).await?;
    let cursor = parse_cursor(p.cursor.as_deref())?;
    let page_ = state.store.network().feed(me, cursor, 20).await?;
    let newest = page_
        .posts
        .first()
        .map(|p| {
            net::Cursor {
                at: p.created_at.timestamp_millis(),
                id: p.id,
            }
            .to_string()
        })
        .unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(page(
        status,
        &FeedPage {
            layout: Layout::new("Your feed", ctx, "feed"),
            heading: "Your feed".into(),
            intro: None,
            composer: cursor.is_none(),
            error,
            draft,
            audiences: Audience::FOR_POSTS
                .into_iter()
                .map(|a| (a.key(), a.label(), a == audience))
                .collect(),
            posts: page_.posts.iter().map(|p| post_item(p, Some(me))).collect(),
            next: page_.next.map(|c| format!("/feed?cursor={c}")),
            newest,
            back: "/feed".into(),
            signed_in: true,
            notice: match p.done.as_deref() {
                Some("posted") => Some("Posted."),
                Some("deleted") => Some("Your post is deleted."),
                _ => None,
            },
        },
    ))
}

/// Posts from the composer, with or without a picture. The form is
/// multipart so that it can carry a file; a form without one is read the
/// same way.
async fn create_post(
    State(state): State<AppState>,
    ctx: Ctx,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let form = crate::post_images::PostInput::from_page(req).await?;
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let again = |message: String, body: String, audience: Audience| {
        let state = state.clone();
        let ctx = &ctx;
        async move {
            let p = FeedParams {
                cursor: None,
                done: None,
            };
            render_feed(&state, ctx, &p, Some(message), body, audience).await
        }
    };
    let Ok(audience) = parse_audience(&form.audience) else {
        return again(
            "Choose who may see the post: your connections, all members or anyone.".into(),
            form.body,
            Audience::Connections,
        )
        .await;
    };
    let images = match crate::post_images::prepare(form.images).await {
        Ok(i) => i,
        Err(AppError::Validation(errors)) => {
            let m = errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" ");
            return again(
                format!("{m} Your text is kept below; choose the pictures again."),
                form.body,
                audience,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    match state
        .store
        .network()
        .create_post(me, &form.body, audience, images)
        .await
    {
        Ok(_) => Ok(see_other("/feed?done=posted")),
        Err(net::NetworkError::Invalid(field, m)) => {
            let m = if field == "image_alt" {
                format!("{m} Your text is kept below; choose the pictures again.")
            } else {
                m
            };
            again(m, form.body, audience).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

async fn tag_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(tag): Path<String>,
    Query(p): Query<FeedParams>,
) -> Result<Response, PageError> {
    let tag = parse_tag(&tag).ok_or(AppError::NotFound)?;
    let viewer = ctx.member.as_ref().map(|m| m.id);
    let page_ = state
        .store
        .network()
        .tagged(viewer, &tag, parse_cursor(p.cursor.as_deref())?, 20)
        .await?;
    Ok(page(
        StatusCode::OK,
        &FeedPage {
            layout: Layout::new(&format!("#{tag}"), &ctx, "feed"),
            heading: format!("#{tag}"),
            intro: Some(if viewer.is_some() {
                "Posts with this tag that you can see.".into()
            } else {
                "Public posts with this tag. Sign in to see posts shared with members.".into()
            }),
            composer: false,
            error: None,
            draft: String::new(),
            audiences: Vec::new(),
            posts: page_.posts.iter().map(|p| post_item(p, viewer)).collect(),
            next: page_.next.map(|c| format!("/tags/{tag}?cursor={c}")),
            newest: String::new(),
            back: format!("/tags/{tag}"),
            signed_in: viewer.is_some(),
            notice: None,
        },
    ))
}

#[derive(Template)]
#[template(path = "network_post.html")]
struct PostPage {
    layout: Layout,
    post: PostItem,
    back: String,
    signed_in: bool,
    reactors: Vec<(PersonView, &'static str)>,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn post_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<FeedParams>,
) -> Result<Response, PageError> {
    render_post(&state, &ctx, &id, p.done.as_deref(), None).await
}

async fn render_post(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    done: Option<&str>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let viewer = ctx.member.as_ref().map(|m| m.id);
    let net = state.store.network();
    let view = net.post(viewer, id).await.map_err(AppError::from)?;
    let reactors = match viewer {
        Some(v) if v.0 == view.author.id => net
            .reactors(v, id)
            .await
            .map_err(AppError::from)?
            .iter()
            .map(|r| ((&r.person).into(), r.kind.label()))
            .collect(),
        _ => Vec::new(),
    };
    let mut layout = Layout::new(&format!("Post by {}", view.author.name), ctx, "feed");
    layout.noindex = true;
    Ok(page(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &PostPage {
            layout,
            back: format!("/posts/{id}"),
            post: post_item(&view, viewer),
            signed_in: viewer.is_some(),
            reactors,
            notice: match done {
                Some("commented") => Some("Your comment is posted."),
                Some("edited") => Some("Your post is updated."),
                Some("reported") => Some(
                    "Thank you. Moderators will look at it; the author is not told who reported.",
                ),
                _ => None,
            },
            error,
        },
    ))
}

#[derive(Debug, Deserialize)]
struct TextForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    back: String,
}

async fn edit_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<TextForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let pid = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    match state.store.network().edit_post(me, pid, &form.body).await {
        Ok(()) => Ok(see_other(&format!("/posts/{id}?done=edited"))),
        Err(net::NetworkError::Invalid(_, m)) => {
            render_post(&state, &ctx, &id, None, Some(m)).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

async fn delete_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let pid = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    state
        .store
        .network()
        .delete_post(me, pid)
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/feed?done=deleted"))
}

async fn add_comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<TextForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let pid = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let parent = Uuid::parse_str(&form.parent).ok();
    match state
        .store
        .network()
        .add_comment(me, pid, parent, &form.body)
        .await
    {
        Ok(cid) => Ok(see_other(&format!(
            "/posts/{id}?done=commented#comment-{cid}"
        ))),
        Err(net::NetworkError::Invalid(_, m)) => {
            render_post(&state, &ctx, &id, None, Some(m)).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

async fn delete_comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<TextForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let cid = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    state
        .store
        .network()
        .delete_comment(me, cid)
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&back_to(&form.back, "/feed")))
}

#[derive(Debug, Deserialize)]
struct ReactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    back: String,
}

/// Sets, changes or removes a reaction. Pressing the reaction one already
/// has takes it away (so a second press of Like un-likes).
async fn react(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ReactForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let target = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let net = state.store.network();
    let kind = match form.kind.as_str() {
        "none" => None,
        k => Some(
            ReactionKind::from_key(k)
                .ok_or_else(|| AppError::BadRequest("Choose one of the five reactions.".into()))?,
        ),
    };
    let current = net.my_reaction(me, target).await?;
    match kind {
        Some(k) if current != Some(k) => {
            net.react(me, target, k).await.map_err(AppError::from)?;
        }
        // The reaction one already has, or "remove": take it away (a
        // second press after it is gone changes nothing).
        _ if current.is_some() => {
            net.unreact(me, target).await.map_err(AppError::from)?;
        }
        _ => {}
    }
    Ok(see_other(&format!(
        "{}#item-{id}",
        back_to(&form.back, "/feed")
    )))
}

#[derive(Template)]
#[template(path = "network_profile.html")]
struct ProfilePage {
    layout: Layout,
    person: PersonView,
    relation: &'static str,
    preview_of: Option<&'static str>,
    about: Option<String>,
    experience: Option<Vec<EntryItem>>,
    education: Option<Vec<EntryItem>>,
    skills: Option<Vec<String>>,
    certificates: Option<Vec<(String, String, String)>>,
    connections: Option<Vec<PersonView>>,
    state: &'static str,
    request_id: String,
    following: bool,
    is_member_viewer: bool,
    may_message: bool,
    posts: Vec<PostItem>,
    back: String,
    signed_in: bool,
    notice: Option<&'static str>,
    error: Option<String>,
    note: String,
    member_id: String,
}

pub(crate) struct EntryItem {
    id: String,
    title: String,
    organisation: String,
    description: String,
    years: String,
}

fn entry_item(e: &net::Entry) -> EntryItem {
    let years = match (e.start_year, e.end_year) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        (Some(a), None) => format!("{a}–present"),
        (None, Some(b)) => b.to_string(),
        (None, None) => String::new(),
    };
    EntryItem {
        id: e.id.to_string(),
        title: e.title.clone(),
        organisation: e.organisation.clone(),
        description: e.description.clone(),
        years,
    }
}

#[derive(Debug, Deserialize)]
struct ProfileParams {
    #[serde(default)]
    done: Option<String>,
    #[serde(default, rename = "as")]
    as_: Option<String>,
}

async fn profile_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
    Query(p): Query<ProfileParams>,
) -> Result<Response, PageError> {
    render_profile(
        &state,
        &ctx,
        &handle,
        p.done.as_deref(),
        None,
        String::new(),
    )
    .await
}

async fn render_profile(
    state: &AppState,
    ctx: &Ctx,
    handle: &str,
    done: Option<&str>,
    error: Option<String>,
    note: String,
) -> Result<Response, PageError> {
    let owner = by_handle(state, handle).await?;
    let viewer = ctx.member.as_ref().map(|m| m.id);
    let net = state.store.network();
    let view = net.profile(viewer, owner).await.map_err(AppError::from)?;
    let posts = net.posts_by(viewer, owner, None, 10).await?;
    let may_message = match viewer {
        Some(v) if v != owner => net.may_message(v, owner).await?.is_ok(),
        _ => false,
    };
    profile_response(
        ctx,
        view,
        None,
        posts.posts.iter().map(|p| post_item(p, viewer)).collect(),
        may_message,
        done,
        error,
        note,
    )
}

#[allow(clippy::too_many_arguments)]
fn profile_response(
    ctx: &Ctx,
    view: net::ProfileView,
    preview_of: Option<&'static str>,
    posts: Vec<PostItem>,
    may_message: bool,
    done: Option<&str>,
    error: Option<String>,
    note: String,
) -> Result<Response, PageError> {
    let (state_, request_id) = match view.connection {
        ConnectionState::NotApplicable => ("none", String::new()),
        ConnectionState::None => ("can-ask", String::new()),
        ConnectionState::Connected => ("connected", String::new()),
        ConnectionState::Sent(id) => ("sent", id.to_string()),
        ConnectionState::Received(id) => ("received", id.to_string()),
    };
    let mut layout = Layout::new(&view.card.name, ctx, "network");
    layout.noindex = !view.indexable;
    let back = format!("/people/{}", view.card.handle);
    Ok(page(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &ProfilePage {
            layout,
            member_id: view.card.id.to_string(),
            person: (&view.card).into(),
            relation: view.relation.key(),
            preview_of,
            about: view.about.clone(),
            experience: view
                .experience
                .as_ref()
                .map(|v| v.iter().map(entry_item).collect()),
            education: view
                .education
                .as_ref()
                .map(|v| v.iter().map(entry_item).collect()),
            skills: view.skills.clone(),
            certificates: view.certificates.as_ref().map(|v| {
                v.iter()
                    .map(|c| {
                        (
                            c.title.clone(),
                            c.slug.clone(),
                            c.completed_at.format("%B %Y").to_string(),
                        )
                    })
                    .collect()
            }),
            connections: view
                .connections
                .as_ref()
                .map(|v| v.iter().map(Into::into).collect()),
            state: state_,
            request_id,
            following: view.following,
            is_member_viewer: preview_of.is_none()
                && ctx.member.is_some()
                && view.relation != Relation::Myself,
            may_message,
            posts,
            back,
            signed_in: ctx.member.is_some() && preview_of.is_none(),
            notice: match done {
                Some("asked") => Some("Your request is sent."),
                Some("connected") => Some("You are connected."),
                Some("withdrawn") => Some("Your request is withdrawn."),
                Some("removed") => Some("You are no longer connected."),
                Some("followed") => Some(
                    "You follow this member: their posts for members and the public come to your feed.",
                ),
                Some("unfollowed") => Some("You no longer follow this member."),
                Some("reported") => Some(
                    "Thank you. Moderators will look at it; the member is not told who reported.",
                ),
                _ => None,
            },
            error,
            note,
        },
    ))
}

#[derive(Debug, Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    request: String,
}

async fn person_action(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((handle, action)): Path<(String, String)>,
    PageForm(form): PageForm<ActionForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let other = by_handle(&state, &handle).await?;
    let net = state.store.network();
    let request = Uuid::parse_str(&form.request).ok();
    let result = match action.as_str() {
        "connect" => net
            .request_connection(me, other, &form.note)
            .await
            .map(|o| match o {
                net::RequestOutcome::Sent(_) => "asked",
                net::RequestOutcome::Connected => "connected",
            }),
        "accept" => net
            .accept_request(me, request.ok_or(AppError::NotFound)?)
            .await
            .map(|()| "connected"),
        "withdraw" => net
            .withdraw_request(me, request.ok_or(AppError::NotFound)?)
            .await
            .map(|()| "withdrawn"),
        "remove" => net.remove_connection(me, other).await.map(|()| "removed"),
        "follow" => net.follow(me, other).await.map(|()| "followed"),
        "unfollow" => net.unfollow(me, other).await.map(|()| "unfollowed"),
        "block" => {
            net.block(me, other).await.map_err(AppError::from)?;
            return Ok(see_other("/network?done=blocked"));
        }
        "unblock" => {
            net.unblock(me, other).await?;
            return Ok(see_other("/network?done=unblocked"));
        }
        _ => return Err(AppError::NotFound.into()),
    };
    match result {
        Ok(done) => Ok(see_other(&format!("/people/{handle}?done={done}"))),
        Err(net::NetworkError::Invalid(_, m) | net::NetworkError::Conflict(m)) => {
            render_profile(&state, &ctx, &handle, None, Some(m), form.note).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// A section's name, label and its levels (key, label, chosen).
type SectionChoice = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str, bool)>,
);

#[derive(Template)]
#[template(path = "network_profile_edit.html")]
struct EditProfilePage {
    layout: Layout,
    handle: String,
    headline: String,
    about: String,
    skills: String,
    experience: Vec<EntryItem>,
    education: Vec<EntryItem>,
    certificates: Vec<(String, String, bool)>,
    sections: Vec<SectionChoice>,
    switches: Vec<(&'static str, &'static str, &'static str, bool)>,
    notice: Option<&'static str>,
    error: Option<(String, String)>,
}

async fn edit_profile_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ProfileParams>,
) -> Result<Response, PageError> {
    render_edit(&state, &ctx, p.done.as_deref(), None).await
}

async fn render_edit(
    state: &AppState,
    ctx: &Ctx,
    done: Option<&str>,
    error: Option<(String, String)>,
) -> Result<Response, PageError> {
    let me = member(state, ctx).await?;
    let p = state.store.network().my_profile(me).await?;
    let v = p.visibility;
    let levels = |current: Audience| {
        Audience::ALL
            .into_iter()
            .map(|a| (a.key(), a.label(), a == current))
            .collect::<Vec<_>>()
    };
    let s = p.switches;
    Ok(page(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &EditProfilePage {
            layout: Layout::new("Your profile", ctx, "profile"),
            handle: p.card.handle.clone(),
            headline: p.headline,
            about: p.about,
            skills: p.skills.join(", "),
            experience: p.experience.iter().map(entry_item).collect(),
            education: p.education.iter().map(entry_item).collect(),
            certificates: p
                .certificates
                .iter()
                .map(|c| (c.course_id.to_string(), c.title.clone(), c.shown))
                .collect(),
            sections: vec![
                ("headline", "Who sees your headline", levels(v.headline)),
                ("about", "Who sees your about section", levels(v.about)),
                (
                    "experience",
                    "Who sees your experience",
                    levels(v.experience),
                ),
                ("education", "Who sees your education", levels(v.education)),
                ("skills", "Who sees your skills", levels(v.skills)),
                (
                    "certificates",
                    "Who sees your certificates",
                    levels(v.certificates),
                ),
                (
                    "connections",
                    "Who sees your list of connections",
                    levels(v.connections),
                ),
            ],
            switches: vec![
                (
                    "public_page",
                    "A profile page for people who are not signed in",
                    "It shows your name and the sections you set to “Anyone”.",
                    s.public_page,
                ),
                (
                    "indexable",
                    "Let search engines index that page",
                    "Without this, search engines are asked not to list it.",
                    s.indexable,
                ),
                (
                    "discoverable",
                    "Suggest me to members who share connections with me",
                    "Also lets members find you by the start of your handle.",
                    s.discoverable,
                ),
                (
                    "message_requests",
                    "Let members who are not my connections send me one message request",
                    "",
                    s.message_requests,
                ),
                (
                    "email_download",
                    "Let my connections' exports include my email address",
                    "",
                    s.email_download,
                ),
            ],
            notice: match done {
                Some("saved") => Some("Saved."),
                Some("privacy") => Some("Your visibility settings are saved."),
                Some("entry") => Some("Added."),
                Some("entry-deleted") => Some("Removed."),
                _ => None,
            },
            error,
        },
    ))
}

/// A form body with repeated names (checkbox lists), as pairs.
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn fields<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    pairs
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn save_intro(
    State(state): State<AppState>,
    ctx: Ctx,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let form = form_pairs(&body);
    ctx.check_csrf(field(&form, "csrf"))?;
    let me = member(&state, &ctx).await?;
    let net = state.store.network();
    let shown: Vec<&str> = fields(&form, "certificate").collect();
    let result = async {
        net.set_handle(me, field(&form, "handle")).await?;
        net.update_intro(
            me,
            field(&form, "headline"),
            field(&form, "about"),
            field(&form, "skills"),
        )
        .await?;
        let current = net.my_profile(me).await?;
        for c in &current.certificates {
            net.show_certificate(
                me,
                c.course_id,
                shown.contains(&c.course_id.to_string().as_str()),
            )
            .await?;
        }
        Ok::<(), net::NetworkError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(see_other("/me/profile?done=saved")),
        Err(net::NetworkError::Invalid(f, m)) => {
            render_edit(&state, &ctx, None, Some((f.to_owned(), m))).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[derive(Debug, Deserialize)]
struct PrivacyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    headline: String,
    #[serde(default)]
    about: String,
    #[serde(default)]
    experience: String,
    #[serde(default)]
    education: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    certificates: String,
    #[serde(default)]
    connections: String,
    #[serde(default)]
    public_page: Option<String>,
    #[serde(default)]
    indexable: Option<String>,
    #[serde(default)]
    discoverable: Option<String>,
    #[serde(default)]
    message_requests: Option<String>,
    #[serde(default)]
    email_download: Option<String>,
}

async fn save_privacy(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(f): PageForm<PrivacyForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&f.csrf)?;
    let me = member(&state, &ctx).await?;
    let level = |s: &str| Audience::from_key(s).unwrap_or(Audience::OnlyMe);
    state
        .store
        .network()
        .set_privacy(
            me,
            SectionVisibility {
                headline: level(&f.headline),
                about: level(&f.about),
                experience: level(&f.experience),
                education: level(&f.education),
                skills: level(&f.skills),
                certificates: level(&f.certificates),
                connections: level(&f.connections),
            },
            ProfileSwitches {
                public_page: f.public_page.is_some(),
                indexable: f.indexable.is_some(),
                discoverable: f.discoverable.is_some(),
                message_requests: f.message_requests.is_some(),
                email_download: f.email_download.is_some(),
            },
        )
        .await?;
    Ok(see_other("/me/profile?done=privacy#privacy-title"))
}

#[derive(Debug, Deserialize)]
struct EntryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    start_year: String,
    #[serde(default)]
    end_year: String,
}

async fn add_entry(
    State(state): State<AppState>,
    ctx: Ctx,
    PageForm(f): PageForm<EntryForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&f.csrf)?;
    let me = member(&state, &ctx).await?;
    let kind = if f.kind == "education" {
        EntryKind::Education
    } else {
        EntryKind::Experience
    };
    let year = |s: &str, field: &'static str| -> Result<Option<i32>, net::NetworkError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<i32>().map(Some).map_err(|_| {
            net::NetworkError::Invalid(field, "Give a year as four digits, such as 2021.".into())
        })
    };
    let result = async {
        let start = year(&f.start_year, "start_year")?;
        let end = year(&f.end_year, "end_year")?;
        state
            .store
            .network()
            .add_entry(
                me,
                kind,
                &f.title,
                &f.organisation,
                &f.description,
                start,
                end,
            )
            .await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other("/me/profile?done=entry")),
        Err(net::NetworkError::Invalid(field, m)) => {
            render_edit(
                &state,
                &ctx,
                None,
                Some((format!("{}-{field}", kind.key()), m)),
            )
            .await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

async fn delete_entry(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    state.store.network().delete_entry(me, id).await?;
    Ok(see_other("/me/profile?done=entry-deleted"))
}

async fn preview_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ProfileParams>,
) -> Result<Response, PageError> {
    let me = member(&state, &ctx).await?;
    let relation = p
        .as_
        .as_deref()
        .and_then(Relation::from_key)
        .filter(|r| Relation::PREVIEWS.contains(r))
        .unwrap_or(Relation::Anyone);
    let net = state.store.network();
    match net.preview(me, relation).await {
        Ok(view) => {
            // Only the public's view can list posts without a viewer; the
            // others would need a made-up member to check audiences against.
            let posts = if relation == Relation::Anyone {
                net.posts_by(None, me, None, 10).await?.posts
            } else {
                Vec::new()
            };
            profile_response(
                &ctx,
                view,
                Some(relation.label()),
                posts.iter().map(|p| post_item(p, None)).collect(),
                false,
                None,
                None,
                String::new(),
            )
        }
        Err(net::NetworkError::NotFound) => {
            #[derive(Template)]
            #[template(path = "network_no_public_page.html")]
            struct NoPublic {
                layout: Layout,
            }
            Ok(page(
                StatusCode::OK,
                &NoPublic {
                    layout: Layout::new("Your profile as the public sees it", &ctx, "profile"),
                },
            ))
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[derive(Template)]
#[template(path = "network_people.html")]
struct NetworkPage {
    layout: Layout,
    incoming: Vec<(String, PersonView, String, String)>,
    sent: Vec<(String, PersonView, String)>,
    connections: Vec<PersonView>,
    suggestions: Vec<(PersonView, u32)>,
    blocked: Vec<PersonView>,
    q: String,
    found: Option<Vec<PersonView>>,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
struct NetworkParams {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// The member's connections as a CSV download.
async fn connections_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let me = member(&state, &ctx).await?;
    Ok(crate::export::connections_response(&state, me, &headers).await?)
}

async fn network_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<NetworkParams>,
) -> Result<Response, PageError> {
    let me = member(&state, &ctx).await?;
    let net = state.store.network();
    let incoming = net.pending_requests(me, false).await?;
    let sent = net.pending_requests(me, true).await?;
    let connections = net.connection_cards(Some(me), me, 1000).await?;
    let suggestions = net.suggestions(me, 10).await?;
    let blocked = net.blocked(me).await?;
    let q = p.q.clone().unwrap_or_default();
    let found = if q.trim().is_empty() {
        None
    } else {
        Some(
            net.find_people(me, &q, 20)
                .await?
                .iter()
                .map(Into::into)
                .collect(),
        )
    };
    Ok(page(
        StatusCode::OK,
        &NetworkPage {
            layout: Layout::new("Your network", &ctx, "network"),
            incoming: incoming
                .iter()
                .map(|r| {
                    (
                        r.id.to_string(),
                        (&r.person).into(),
                        r.note.clone(),
                        date(r.sent_at),
                    )
                })
                .collect(),
            sent: sent
                .iter()
                .map(|r| (r.id.to_string(), (&r.person).into(), date(r.sent_at)))
                .collect(),
            connections: connections.iter().map(Into::into).collect(),
            suggestions: suggestions
                .iter()
                .map(|s| ((&s.person).into(), s.mutual))
                .collect(),
            blocked: blocked.iter().map(Into::into).collect(),
            q,
            found,
            notice: match p.done.as_deref() {
                Some("accepted") => Some("You are connected."),
                Some("ignored") => Some("Request ignored. They are not told."),
                Some("withdrawn") => Some("Your request is withdrawn."),
                Some("blocked") => Some(
                    "Blocked. Neither of you can see the other's profile, posts or comments, or write to the other.",
                ),
                Some("unblocked") => Some("Unblocked."),
                _ => None,
            },
        },
    ))
}

async fn request_action(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
    PageForm(form): PageForm<crate::pages::CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let net = state.store.network();
    let done = match action.as_str() {
        "accept" => net.accept_request(me, id).await.map(|()| "accepted"),
        "ignore" => net.ignore_request(me, id).await.map(|()| "ignored"),
        "withdraw" => net.withdraw_request(me, id).await.map(|()| "withdrawn"),
        _ => return Err(AppError::NotFound.into()),
    }
    .map_err(AppError::from)?;
    Ok(see_other(&format!("/network?done={done}")))
}

#[derive(Template)]
#[template(path = "network_notifications.html")]
struct NotificationsPage {
    layout: Layout,
    items: Vec<(String, String, bool, String)>,
    settings: Vec<(&'static str, &'static str, bool, bool)>,
    notice: Option<&'static str>,
    sends_mail: bool,
    digest_on: bool,
    daily: bool,
}

fn notice_text(n: &net::Notice) -> (String, String) {
    let who = n
        .actor
        .as_ref()
        .map_or_else(|| "Someone".to_owned(), |a| a.name.clone());
    let post = n.post_id.map(|p| format!("/posts/{p}"));
    let person = n.actor.as_ref().map(|a| format!("/people/{}", a.handle));
    match n.kind {
        NoticeKind::ConnectionRequest => (
            format!("{who} asked to connect with you."),
            "/network".into(),
        ),
        NoticeKind::ConnectionAccepted => (
            format!("{who} accepted your request to connect."),
            person.unwrap_or_default(),
        ),
        NoticeKind::Follow => (
            format!("{who} started following you."),
            person.unwrap_or_default(),
        ),
        NoticeKind::Reaction => (
            format!(
                "{who} reacted to your {}.",
                if n.comment_id.is_some() {
                    "comment"
                } else {
                    "post"
                }
            ),
            post.unwrap_or_default(),
        ),
        NoticeKind::Comment => (
            format!("{who} commented on your post."),
            post.unwrap_or_default(),
        ),
        NoticeKind::Reply => (
            format!("{who} replied to your comment."),
            post.unwrap_or_default(),
        ),
        NoticeKind::Mention => (format!("{who} mentioned you."), post.unwrap_or_default()),
        NoticeKind::Moderation => (
            "A moderator made a decision about your content.".into(),
            "/me/moderation".into(),
        ),
        NoticeKind::NewCourse => match &n.course {
            Some(c) => (
                format!("A new course by an instructor you follow: {}.", c.title),
                format!("/courses/{}", c.slug),
            ),
            None => (
                "A new course by an instructor you follow.".into(),
                "/courses".into(),
            ),
        },
    }
}

async fn notifications_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<FeedParams>,
) -> Result<Response, PageError> {
    let me = member(&state, &ctx).await?;
    let net = state.store.network();
    let list = net.notices(me, 100).await?;
    net.mark_notices_read(me).await?;
    Ok(page(
        StatusCode::OK,
        &NotificationsPage {
            layout: Layout::new("Notifications", &ctx, "notifications"),
            items: list
                .iter()
                .map(|n| {
                    let (text, link) = notice_text(n);
                    (text, link, !n.read, date(n.created_at))
                })
                .collect(),
            settings: net
                .notice_settings(me)
                .await?
                .into_iter()
                .map(|(k, on)| (k.key(), k.label(), on, k.can_turn_off()))
                .collect(),
            notice: (p.done.as_deref() == Some("settings"))
                .then_some("Your notification settings are saved."),
            sends_mail: state.sends_mail,
            digest_on: state
                .store
                .consents()
                .has(
                    me.into(),
                    lyceum_core::domain::consent::Purpose::EmailDigests,
                )
                .await?,
            daily: state.store.digest_frequency(me).await?
                == lyceum_store::digests::Frequency::Daily,
        },
    ))
}

async fn save_notice_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let form = form_pairs(&body);
    ctx.check_csrf(field(&form, "csrf"))?;
    let me = member(&state, &ctx).await?;
    let on: Vec<NoticeKind> = fields(&form, "on")
        .filter_map(NoticeKind::from_key)
        .collect();
    state.store.network().set_notice_settings(me, &on).await?;
    if let Some(f) = lyceum_store::digests::Frequency::from_key(field(&form, "digest")) {
        state.store.set_digest_frequency(me, f).await?;
    }
    Ok(see_other("/notifications?done=settings"))
}

#[derive(Template)]
#[template(path = "network_messages.html")]
struct MessagesPage {
    layout: Layout,
    conversations: Vec<(PersonView, String, bool, String, u32, bool)>,
}

async fn messages_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let me = member(&state, &ctx).await?;
    let list = state.store.network().conversations(me).await?;
    Ok(page(
        StatusCode::OK,
        &MessagesPage {
            layout: Layout::new("Messages", &ctx, "messages"),
            conversations: list
                .iter()
                .map(|c| {
                    let preview: String = c.last.chars().take(80).collect();
                    (
                        (&c.peer).into(),
                        preview,
                        c.last_mine,
                        date(c.last_at),
                        c.unread,
                        c.is_request,
                    )
                })
                .collect(),
        },
    ))
}

#[derive(Template)]
#[template(path = "network_conversation.html")]
struct ConversationPage {
    layout: Layout,
    peer: PersonView,
    messages: Vec<(String, bool, String, String)>,
    refusal: Option<String>,
    error: Option<String>,
    draft: String,
}

async fn conversation_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
) -> Result<Response, PageError> {
    render_conversation(&state, &ctx, &handle, None, String::new()).await
}

async fn render_conversation(
    state: &AppState,
    ctx: &Ctx,
    handle: &str,
    error: Option<String>,
    draft: String,
) -> Result<Response, PageError> {
    let me = member(state, ctx).await?;
    let peer = by_handle(state, handle).await?;
    let net = state.store.network();
    if net.relation(Some(me), peer.0).await? == Relation::Blocked || peer == me {
        return Err(AppError::NotFound.into());
    }
    let card = net
        .cards(Some(me), &[peer.0])
        .await?
        .remove(&peer.0)
        .ok_or(AppError::NotFound)?;
    let messages = net.conversation(me, peer).await?;
    let refusal = net.may_message(me, peer).await?.err();
    let mut layout = Layout::new(&format!("Messages with {}", card.name), ctx, "messages");
    layout.noindex = true;
    Ok(page(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &ConversationPage {
            layout,
            peer: (&card).into(),
            messages: messages
                .iter()
                .map(|m| (m.id.to_string(), m.mine, m.body.clone(), date(m.sent_at)))
                .collect(),
            refusal,
            error,
            draft,
        },
    ))
}

async fn send_message(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(handle): Path<String>,
    PageForm(form): PageForm<TextForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let peer = by_handle(&state, &handle).await?;
    match state
        .store
        .network()
        .send_message(me, peer, &form.body)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/messages/{handle}#latest"))),
        Err(
            net::NetworkError::Invalid(_, m)
            | net::NetworkError::Conflict(m)
            | net::NetworkError::Forbidden(m),
        ) => render_conversation(&state, &ctx, &handle, Some(m), form.body).await,
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[derive(Template)]
#[template(path = "network_report.html")]
struct ReportPage {
    layout: Layout,
    kind: &'static str,
    what: &'static str,
    id: String,
    reasons: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

async fn report_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    member(&state, &ctx).await?;
    render_report(&ctx, &kind, &id, None)
}

fn render_report(
    ctx: &Ctx,
    kind: &str,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let kind = ReportTarget::from_key(kind).ok_or(AppError::NotFound)?;
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let what = match kind {
        ReportTarget::Post => "post",
        ReportTarget::Comment => "comment",
        ReportTarget::Message => "message",
        ReportTarget::Profile => "profile",
    };
    Ok(page(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &ReportPage {
            layout: Layout::new(&format!("Report a {what}"), ctx, "feed"),
            kind: kind.key(),
            what,
            id: id.to_owned(),
            reasons: Reason::ALL
                .into_iter()
                .map(|r| (r.key(), r.label()))
                .collect(),
            error,
        },
    ))
}

#[derive(Debug, Deserialize)]
struct ReportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    details: String,
}

async fn send_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((kind, id)): Path<(String, String)>,
    PageForm(form): PageForm<ReportForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let target = ReportTarget::from_key(&kind).ok_or(AppError::NotFound)?;
    let tid = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let Some(reason) = Reason::from_key(&form.reason) else {
        return render_report(&ctx, &kind, &id, Some("Choose a reason.".into()));
    };
    match state
        .store
        .network()
        .report(me, target, tid, reason, &form.details)
        .await
    {
        Ok(_) => Ok(see_other("/feed?done=reported")),
        Err(net::NetworkError::Invalid(_, m) | net::NetworkError::Conflict(m)) => {
            render_report(&ctx, &kind, &id, Some(m))
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[derive(Template)]
#[template(path = "network_moderation.html")]
struct ModerationPage {
    layout: Layout,
    queue: Vec<net::QueueItem>,
    appeals: Vec<net::ActionView>,
    reasons: Vec<(&'static str, &'static str)>,
    notice: Option<&'static str>,
}

async fn moderation_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<FeedParams>,
) -> Result<Response, PageError> {
    moderator(&state, &ctx).await?;
    let net = state.store.network();
    Ok(page(
        StatusCode::OK,
        &ModerationPage {
            layout: Layout::new("Moderation", &ctx, "moderation"),
            queue: net.moderation_queue(50).await?,
            appeals: net.open_appeals().await?,
            reasons: Reason::ALL
                .into_iter()
                .map(|r| (r.key(), r.label()))
                .collect(),
            notice: match p.done.as_deref() {
                Some("decided") => Some("Decided. The member is told what was done and why."),
                _ => None,
            },
        },
    ))
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    explanation: String,
}

async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(f): PageForm<DecisionForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&f.csrf)?;
    let me = moderator(&state, &ctx).await?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let decision = match f.decision.as_str() {
        "remove" => Decision::Remove,
        "warn" => Decision::Warn,
        _ => Decision::Dismiss,
    };
    let reason = Reason::from_key(&f.reason).unwrap_or(Reason::Other);
    state
        .store
        .network()
        .moderate(me, id, decision, reason, &f.explanation)
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/moderation?done=decided"))
}

#[derive(Debug, Deserialize)]
struct AppealDecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
}

async fn decide_appeal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(f): PageForm<AppealDecisionForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&f.csrf)?;
    moderator(&state, &ctx).await?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    state
        .store
        .network()
        .decide_appeal(id, f.outcome == "reverse")
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/moderation?done=decided"))
}

#[derive(Template)]
#[template(path = "network_log.html")]
struct LogPage {
    layout: Layout,
    entries: Vec<(String, &'static str, String, &'static str, Option<String>)>,
}

async fn log_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let list = state.store.network().moderation_log(200).await?;
    Ok(page(
        StatusCode::OK,
        &LogPage {
            layout: Layout::new("Moderation log", &ctx, "moderation-log"),
            entries: list
                .iter()
                .map(|l| {
                    (
                        l.at.format("%-d %B %Y").to_string(),
                        l.target_kind.key(),
                        l.action.clone(),
                        l.reason.label(),
                        l.outcome.clone(),
                    )
                })
                .collect(),
        },
    ))
}

#[derive(Template)]
#[template(path = "network_my_moderation.html")]
struct MyModerationPage {
    layout: Layout,
    actions: Vec<net::ActionView>,
    notice: Option<&'static str>,
}

async fn my_moderation_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<FeedParams>,
) -> Result<Response, PageError> {
    let me = member(&state, &ctx).await?;
    Ok(page(
        StatusCode::OK,
        &MyModerationPage {
            layout: Layout::new("Decisions about your content", &ctx, "moderation"),
            actions: state.store.network().my_moderation(me).await?,
            notice: (p.done.as_deref() == Some("appealed"))
                .then_some("Your appeal is sent. A moderator will decide and you will be told."),
        },
    ))
}

async fn appeal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<TextForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let me = member(&state, &ctx).await?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    state
        .store
        .network()
        .appeal(me, id, &form.body)
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/me/moderation?done=appealed"))
}

#[cfg(test)]
mod tests {
    use super::render_text;

    #[test]
    fn post_text_is_escaped_and_linked() {
        assert_eq!(
            render_text("<b>hi</b> #Rust @ada-l https://example.org/a?b=1&c=2.\nnext"),
            "&#60;b&#62;hi&#60;/b&#62; <a href=\"/tags/rust\">#Rust</a> <a href=\"/people/ada-l\">@ada-l</a> <a href=\"https://example.org/a?b=1&#38;c=2\" rel=\"nofollow noopener noreferrer\">https://example.org/a?b=1&#38;c=2</a>.<br>next"
        );
        assert!(!render_text("javascript:alert(1)").contains("<a"));
    }
}
