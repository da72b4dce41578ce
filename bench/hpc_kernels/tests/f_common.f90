module hpc_test_support
  implicit none
contains
  subroutine t_vec(v, scale, shift)
    double precision, intent(out) :: v(:)
    double precision, intent(in) :: scale, shift
    integer :: i
    do i = 1, size(v)
      v(i) = sin(scale * dble(i - 1) + shift)
    end do
  end subroutine t_vec

  logical function t_close(got, want, rel)
    double precision, intent(in) :: got, want, rel
    t_close = abs(got - want) <= rel * (1d0 + abs(want))
  end function t_close

  ! CSR (1-based): row i holds 4 + mod(i-1, 3) on the diagonal, -1 beside it, and (unless tridiagonal) 0.5 at a
  ! scattered column
  subroutine t_csr(n, tridiagonal, rowptr, col, val)
    integer, intent(in) :: n
    logical, intent(in) :: tridiagonal
    integer, allocatable, intent(out) :: rowptr(:), col(:)
    double precision, allocatable, intent(out) :: val(:)
    integer :: i, k
    allocate(rowptr(n + 1), col(4 * n), val(4 * n))
    k = 1
    do i = 1, n
      rowptr(i) = k
      if (i > 1) then
        col(k) = i - 1; val(k) = -1d0; k = k + 1
      end if
      col(k) = i; val(k) = 4d0 + mod(i - 1, 3); k = k + 1
      if (i < n) then
        col(k) = i + 1; val(k) = -1d0; k = k + 1
      end if
      if (.not. tridiagonal) then
        col(k) = int(mod(int(i - 1, 8) * 7919_8, int(n, 8))) + 1; val(k) = 0.5d0; k = k + 1
      end if
    end do
    rowptr(n + 1) = k
  end subroutine t_csr
end module hpc_test_support
