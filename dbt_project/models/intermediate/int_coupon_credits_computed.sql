-- What each applied coupon takes off each finalized subscription invoice,
-- and how that credit is spread over the invoice's fees. Lago:
-- app/services/credits/applied_coupons_service.rb,
-- app/services/credits/applied_coupon_service.rb,
-- app/services/applied_coupons/amount_service.rb,
-- Fee#compute_precise_credit_amount_cents (reference/invoicing.md §2, §4).
--
-- A customer's finalized subscription invoices are walked in finalization
-- order and, on each, its applied coupons in Lago's order
-- (int_applied_coupons_resolved): one step per (invoice, coupon). A coupon's
-- state after an invoice (what is left of a `once` fixed amount, the invoices
-- left to a `recurring` one, whether it is terminated) is what the next
-- invoice sees, so the walk is a recursive CTE over those steps, every
-- customer at once; nothing is stored between runs. At each step:
-- - the coupon applies when it was applied to the customer by the time the
--   invoice is finalized, is not terminated, a fixed one is in the invoice's
--   currency, the invoice has fees it targets and something is left to pay
--   (Lago stops at a 0 sub-total);
-- - base: the eligible fees' amount minus the coupons already on them for a
--   limited coupon, the invoice's sub-total left for any other;
-- - credit: percentage -> round(base x rate / 100), at most the base; fixed
--   -> the applied amount (`once`: what is left of it), at most the base
--   (a fractional base is truncated, as Lago's integer column does);
-- - spread: each eligible fee gets credit x (its amount - its coupons) /
--   base, rounded to 5 decimals of a cent (Lago's precise column), its
--   coupons never above its amount;
-- - state: `once` percentage ends after one use, `once` fixed when its amount
--   is used up (a remainder carries to the next invoice), `recurring` counts
--   down per invoice it applies to, `forever` never ends. Expiration only
--   stops new applications (int_applied_coupons_resolved).
-- Drafts get no coupons (they get them when finalized), nor do one-off
-- invoices (create_one_off_service.rb).

with recursive

invoices as (
    select
        invoice_id,
        external_customer_id,
        currency,
        finalizing_at,
        billed_at
    from {{ ref('int_invoices_scheduled') }}
    where status = 'finalized' and invoice_type in ('subscription', 'advance_charges')
),

fees as (
    select
        fee_id,
        invoice_id,
        fee_type,
        plan_code,
        code,
        cast(amount_cents as {{ type_precise() }}) as amount_cents
    from {{ ref('int_fees_assembled') }}
),

applied_coupons as (
    select * from {{ ref('int_applied_coupons_resolved') }}
),

invoices_with_fees as (
    select
        invoices.*,
        cast(sum(fees.amount_cents) as bigint) as fees_amount_cents,
        list(fees.fee_id order by fees.fee_id) as fee_ids,
        list(fees.amount_cents order by fees.fee_id) as fee_amounts
    from invoices
    inner join fees
        on invoices.invoice_id = fees.invoice_id
    where invoices.external_customer_id in (select applied_coupons.external_customer_id from applied_coupons)
    group by all
    having sum(fees.amount_cents) > 0
),

invoices_ordered as (
    select
        *,
        row_number() over (
            partition by external_customer_id order by finalizing_at, billed_at, invoice_id
        ) as invoice_order
    from invoices_with_fees
),

coupons_per_customer as (
    select
        external_customer_id,
        count(*) as coupons_count
    from applied_coupons
    group by 1
),

fee_eligibility as (
    -- per invoice and coupon, whether each fee (in fee_id order) is targeted
    select
        fees.invoice_id,
        applied_coupons.applied_coupon_id,
        list(
            case applied_coupons.limited_to
                when 'billable_metric' then
                    fees.fee_type = 'charge'
                    and coalesce(list_contains(applied_coupons.billable_metric_codes, fees.code), false)
                when 'plan' then coalesce(list_contains(applied_coupons.plan_codes, fees.plan_code), false)
                else true
            end
            order by fees.fee_id
        ) as is_fee_eligible
    from fees
    inner join invoices_ordered
        on fees.invoice_id = invoices_ordered.invoice_id
    inner join applied_coupons
        on invoices_ordered.external_customer_id = applied_coupons.external_customer_id
    group by 1, 2
),

steps as (
    select
        invoices_ordered.external_customer_id,
        (invoices_ordered.invoice_order - 1) * coupons_per_customer.coupons_count
        + applied_coupons.application_order as step,
        applied_coupons.application_order,
        applied_coupons.application_order = 1 as is_first_of_invoice,
        invoices_ordered.invoice_id,
        invoices_ordered.currency,
        invoices_ordered.fees_amount_cents,
        invoices_ordered.fee_ids,
        invoices_ordered.fee_amounts,
        fee_eligibility.is_fee_eligible,
        applied_coupons.applied_coupon_id,
        applied_coupons.coupon_code,
        applied_coupons.coupon_type,
        applied_coupons.frequency,
        applied_coupons.amount_cents,
        applied_coupons.percentage_rate,
        applied_coupons.limited_to is not null as is_limited,
        applied_coupons.created_at <= invoices_ordered.finalizing_at
        and (
            applied_coupons.coupon_type = 'percentage'
            or applied_coupons.amount_currency = invoices_ordered.currency
        )
        and list_bool_or(fee_eligibility.is_fee_eligible) as is_open
    from invoices_ordered
    inner join coupons_per_customer
        on invoices_ordered.external_customer_id = coupons_per_customer.external_customer_id
    inner join applied_coupons
        on invoices_ordered.external_customer_id = applied_coupons.external_customer_id
    inner join fee_eligibility
        on
            invoices_ordered.invoice_id = fee_eligibility.invoice_id
            and applied_coupons.applied_coupon_id = fee_eligibility.applied_coupon_id
),

initial_states as (
    -- before the first invoice: every coupon whole, in application order
    select
        external_customer_id,
        cast(0 as bigint) as step,
        cast(null as varchar) as invoice_id,
        cast(null as varchar) as applied_coupon_id,
        cast(null as varchar) as coupon_code,
        false as is_applied,
        cast(0 as bigint) as credit_amount_cents,
        cast([] as varchar []) as fee_ids,
        cast([] as {{ type_precise() }} []) as fee_coupons,
        cast([] as {{ type_precise() }} []) as fee_increments,
        cast(0 as bigint) as invoice_left_cents,
        list(cast(amount_cents as bigint) order by application_order) as coupon_amounts_left,
        list(frequency_duration order by application_order) as coupon_invoices_left,
        list(false order by application_order) as coupon_is_terminated
    from applied_coupons
    group by 1
),

coupon_walk as (
    select * from initial_states

    union all

    select
        step_credits.external_customer_id,
        step_credits.step,
        step_credits.invoice_id,
        step_credits.applied_coupon_id,
        step_credits.coupon_code,
        step_credits.is_applied,
        step_credits.credit_amount_cents,
        step_credits.fee_ids,
        step_credits.fee_coupons_after as fee_coupons,
        list_transform(
            step_credits.fee_coupons_after,
            lambda after, i: cast(after - step_credits.fee_coupons_before[i] as {{ type_precise() }})
        ) as fee_increments,
        step_credits.invoice_left_before - step_credits.credit_amount_cents as invoice_left_cents,
        list_transform(
            step_credits.coupon_amounts_left,
            lambda amount_left, j: case
                when j = step_credits.application_order and step_credits.is_applied
                    then amount_left - step_credits.credit_amount_cents
                else amount_left
            end
        ) as coupon_amounts_left,
        list_transform(
            step_credits.coupon_invoices_left,
            lambda invoices_left, j: case
                when j = step_credits.application_order and step_credits.is_applied
                    and step_credits.frequency = 'recurring'
                    then greatest(invoices_left - 1, 0)
                else invoices_left
            end
        ) as coupon_invoices_left,
        list_transform(
            step_credits.coupon_is_terminated,
            lambda is_terminated, j: case
                when j = step_credits.application_order and step_credits.is_applied
                    then case step_credits.frequency
                        when 'once' then
                            step_credits.coupon_type = 'percentage'
                            or step_credits.credit_amount_cents
                            >= step_credits.coupon_amounts_left[j]
                        when 'recurring' then step_credits.coupon_invoices_left[j] - 1 <= 0
                        else false
                    end
                else is_terminated
            end
        ) as coupon_is_terminated
    from (
        select
            step_bases.*,
            case
                when step_bases.is_applied
                    then list_transform(
                        step_bases.fee_amounts,
                        lambda amount, i: case
                            when step_bases.is_fee_eligible[i] and step_bases.base_amount_cents <> 0
                                then least(
                                    step_bases.fee_coupons_before[i] + round(
                                        {{ divide_decimal(
                                            'step_bases.credit_amount_cents * (amount - step_bases.fee_coupons_before[i])',
                                            'step_bases.base_amount_cents'
                                        ) }},
                                        5
                                    ),
                                    amount
                                )
                            else step_bases.fee_coupons_before[i]
                        end
                    )
                else step_bases.fee_coupons_before
            end as fee_coupons_after
        from (
            select
                step_inputs.*,
                case
                    when not step_inputs.is_applied then cast(0 as bigint)
                    when step_inputs.coupon_type = 'percentage'
                        then cast(
                            least(
                                floor(step_inputs.base_amount_cents),
                                round(
                                    cast(
                                        step_inputs.base_amount_cents * step_inputs.percentage_rate
                                        as {{ type_precise() }}
                                    ) * cast(0.01 as decimal(3, 2)),
                                    0
                                )
                            ) as bigint
                        )
                    when step_inputs.frequency = 'once'
                        then cast(
                            least(
                                floor(step_inputs.base_amount_cents),
                                step_inputs.coupon_amounts_left[step_inputs.application_order]
                            ) as bigint
                        )
                    else cast(
                        least(floor(step_inputs.base_amount_cents), step_inputs.amount_cents) as bigint
                    )
                end as credit_amount_cents
            from (
                select
                    step_states.*,
                    case
                        when step_states.is_limited
                            then cast(list_sum(list_transform(
                                step_states.fee_amounts,
                                lambda amount, i: case
                                    when step_states.is_fee_eligible[i]
                                        then amount - step_states.fee_coupons_before[i]
                                    else cast(0 as {{ type_precise() }})
                                end
                            )) as {{ type_precise() }})
                        else cast(step_states.invoice_left_before as {{ type_precise() }})
                    end as base_amount_cents
                from (
                    select
                        steps.external_customer_id,
                        steps.step,
                        steps.application_order,
                        steps.invoice_id,
                        steps.applied_coupon_id,
                        steps.coupon_code,
                        steps.coupon_type,
                        steps.frequency,
                        steps.amount_cents,
                        steps.percentage_rate,
                        steps.is_limited,
                        steps.fee_ids,
                        steps.fee_amounts,
                        steps.is_fee_eligible,
                        coupon_walk.coupon_amounts_left,
                        coupon_walk.coupon_invoices_left,
                        coupon_walk.coupon_is_terminated,
                        case
                            when steps.is_first_of_invoice
                                then list_transform(
                                    steps.fee_amounts, lambda amount: cast(0 as {{ type_precise() }})
                                )
                            else coupon_walk.fee_coupons
                        end as fee_coupons_before,
                        case
                            when steps.is_first_of_invoice then steps.fees_amount_cents
                            else coupon_walk.invoice_left_cents
                        end as invoice_left_before,
                        steps.is_open
                        and not coupon_walk.coupon_is_terminated[steps.application_order]
                        and (
                            steps.frequency <> 'recurring'
                            or coupon_walk.coupon_invoices_left[steps.application_order] > 0
                        )
                        and case
                            when steps.is_first_of_invoice then steps.fees_amount_cents
                            else coupon_walk.invoice_left_cents
                        end > 0 as is_applied
                    from coupon_walk
                    inner join steps
                        on
                            coupon_walk.external_customer_id = steps.external_customer_id
                            and coupon_walk.step + 1 = steps.step
                ) as step_states
            ) as step_inputs
        ) as step_bases
    ) as step_credits
),

coupon_credits as (
    select
        {{ surrogate_key(["'coupon'", 'invoice_id', 'applied_coupon_id']) }} as coupon_credit_id,
        invoice_id,
        external_customer_id,
        applied_coupon_id,
        coupon_code,
        step,
        credit_amount_cents as amount_cents,
        fee_ids,
        fee_increments
    from coupon_walk
    where is_applied
)

select * from coupon_credits
